/// Width and whitespace normalisation for what departments type: full-width digits and
/// letters (U+FF10–FF19, U+FF21–FF3A, U+FF41–FF5A, and the rest of U+FF01–FF5E) become
/// half-width, the ideographic space U+3000 becomes a space.
public enum TextNormalisation {
    /// Half-width equivalent of a full-width ASCII variant (U+FF01–FF5E → U+0021–007E), and of the
    /// ideographic space (U+3000 → U+0020); `nil` when `scalar` has none.
    @inline(__always)
    public static func halfWidth(_ scalar: UInt32) -> UInt32? {
        if scalar >= 0xFF01 && scalar <= 0xFF5E { return scalar - 0xFEE0 }
        if scalar == 0x3000 { return 0x20 }
        return nil
    }

    @inline(__always)
    static func isSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// A name as compared and stored: full-width letters/spaces to half-width, trimmed, every
    /// inner whitespace run collapsed to one space. `"　王　 芳 "` → `"王 芳"`.
    public static func name(_ s: String) -> String {
        normalise(s, collapseSpaces: true)
    }

    /// A code or number (permit number, house id …): width-normalised and trimmed.
    public static func code(_ s: String) -> String {
        normalise(s, collapseSpaces: false)
    }

    static func normalise(_ s: String, collapseSpaces: Bool) -> String {
        if !needsChange(s, collapseSpaces: collapseSpaces) { return s }
        var out = String.UnicodeScalarView()
        var pendingSpaces = 0
        var started = false
        for scalar in s.unicodeScalars {
            var v = scalar.value
            if let h = halfWidth(v) { v = h }
            if isSpace(v) {
                if started { pendingSpaces += 1 }
                continue
            }
            if pendingSpaces > 0 {
                for _ in 0..<(collapseSpaces ? 1 : pendingSpaces) { out.append(" ") }
                pendingSpaces = 0
            }
            started = true
            out.append(Unicode.Scalar(v)!)
        }
        return String(out)
    }

    /// First pass: does `normalise` change anything? (Usually not; then no allocation.)
    /// Works on UTF-8 bytes and decodes only the lead bytes that can start a full-width form
    /// or a non-ASCII space (C2, E1, E2, E3, EF).
    private static func needsChange(_ s: String, collapseSpaces: Bool) -> Bool {
        var s = s
        return s.withUTF8 { u in
            var started = false
            var pendingSpaces = 0
            var i = 0
            let n = u.count
            while i < n {
                let c = u[i]
                if c < 0x80 {
                    i += 1
                    if c == 0x20 {
                        if !started { return true }
                        pendingSpaces += 1
                        if pendingSpaces > 1 && collapseSpaces { return true }
                        continue
                    }
                    if c >= 0x09 && c <= 0x0D { return true }
                    started = true
                    pendingSpaces = 0
                    continue
                }
                let len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2
                if c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3 || c == 0xEF, i + len <= n {
                    var v = UInt32(c) & (len == 2 ? 0x1F : 0x0F)
                    for k in 1..<len { v = v << 6 | UInt32(u[i + k] & 0x3F) }
                    if halfWidth(v) != nil || isSpace(v) { return true }
                }
                i += len
                started = true
                pendingSpaces = 0
            }
            return pendingSpaces > 0
        }
    }
}
