/// Department dates to `LocalDate`: accepts `YYYY-MM-DD`, `YYYY/MM/DD` and `YYYYMMDD`, with
/// half- or full-width digits and separators, surrounding whitespace ignored. Impossible dates
/// (2026-02-30) give `nil`.
public enum DateNormalisation {
    public static func parse(_ s: String) -> LocalDate? {
        if let d = parseISOFast(s) { return d }
        return parseLenient(s)
    }

    /// `YYYY-MM-DD` in ASCII, the form nearly every record uses.
    @inline(__always)
    static func parseISOFast(_ s: String) -> LocalDate? {
        var s = s
        return s.withUTF8 { u -> LocalDate? in
            guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D else { return nil }
            var bad = false
            func num(_ from: Int, _ to: Int) -> Int {
                var acc = 0
                for k in from..<to {
                    let c = u[k] &- 48
                    if c >= 10 { bad = true }
                    acc = acc * 10 + Int(c)
                }
                return acc
            }
            let y = num(0, 4)
            let m = num(5, 7)
            let d = num(8, 10)
            return bad ? nil : LocalDate(year: y, month: m, day: d)
        }
    }

    static func parseLenient(_ s: String) -> LocalDate? {
        var d: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        var nd = 0
        var seps: (UInt8, UInt8) = (0, 0)
        var ns = 0
        var positions: (Int, Int) = (0, 0)
        var started = false
        var ended = false
        var bad = false
        withUnsafeMutableBytes(of: &d) { digits in
            for scalar in s.unicodeScalars {
                var v = scalar.value
                if let h = TextNormalisation.halfWidth(v) { v = h }
                if TextNormalisation.isSpace(v) {
                    if started { ended = true }
                    continue
                }
                if ended {
                    bad = true
                    return
                }
                started = true
                if v >= 48 && v <= 57 {
                    guard nd < 8 else {
                        bad = true
                        return
                    }
                    digits[nd] = UInt8(v - 48)
                    nd += 1
                } else if v == 0x2D || v == 0x2F {
                    guard ns < 2 else {
                        bad = true
                        return
                    }
                    if ns == 0 {
                        seps.0 = UInt8(v)
                        positions.0 = nd
                    } else {
                        seps.1 = UInt8(v)
                        positions.1 = nd
                    }
                    ns += 1
                } else {
                    bad = true
                    return
                }
            }
        }
        guard !bad, nd == 8 else { return nil }
        if ns == 2 {
            guard seps.0 == seps.1, positions.0 == 4, positions.1 == 6 else { return nil }
        } else if ns != 0 {
            return nil
        }
        let (y, m, day) = withUnsafeBytes(of: &d) { b in
            (
                Int(b[0]) * 1000 + Int(b[1]) * 100 + Int(b[2]) * 10 + Int(b[3]),
                Int(b[4]) * 10 + Int(b[5]), Int(b[6]) * 10 + Int(b[7])
            )
        }
        return LocalDate(year: y, month: m, day: day)
    }
}
