/// An 18-character resident identity number (公民身份号码, GB 11643-1999), validated and
/// normalised: 6-digit region, 8-digit birth date, 3-digit sequence (odd = male), and an
/// ISO 7064 MOD 11-2 check character (`0`–`9` or `X`).
///
/// `description` is masked, so an `IDNumber` interpolated into a log line never leaks.
public struct IDNumber: Sendable, Hashable, CustomStringConvertible {
    /// The normalised 18 characters (half-width, upper-case `X`).
    public let value: String
    public let birthDate: LocalDate
    public let sex: Sex

    /// Why a string is not a valid ID number. Never carries the number itself.
    public enum Failure: Error, Sendable, Hashable {
        /// A 15-digit first-generation number (pre-1999): no longer accepted.
        case legacy15Digit
        /// Wrong length, or characters other than digits (and a final `X`).
        case invalidFormat
        /// Digits 7–14 are not a real calendar date.
        case invalidBirthDate
        /// The check character does not match the first 17 digits.
        case invalidChecksum
    }

    static let weights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkChars: [UInt8] = Array("10X98765432".utf8)

    /// The ISO 7064 MOD 11-2 check character for 17 ASCII digits.
    public static func checkCharacter(forFirst17 digits: some Collection<UInt8>) -> UInt8 {
        precondition(digits.count == 17)
        var sum = 0
        for (w, d) in zip(weights, digits) { sum += w * Int(d &- 48) }
        return checkChars[sum % 11]
    }

    /// Validates and normalises `raw`: trims whitespace, maps full-width digits/`Ｘ`/`ｘ` to
    /// half-width, lower-case `x` to `X`.
    public init(validating raw: String) throws(Failure) {
        // Fast path: already 18 normalised ASCII characters.
        var copy = raw
        let fast: Result<(LocalDate, Sex), Failure>? = copy.withUTF8 { u in
            guard u.count == 18, u[0..<17].allSatisfy({ $0 &- 48 < 10 }), u[17] &- 48 < 10 || u[17] == 0x58 else {
                return nil
            }
            return Result { () throws(Failure) in try IDNumber.check(u) }
        }
        if let fast {
            (birthDate, sex) = try fast.get()
            value = raw
            return
        }
        var buf: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no allocation
        var n = 0
        var changed = false
        var trailing = false
        var overlong = false
        withUnsafeMutableBytes(of: &buf) { scratch in
            for scalar in raw.unicodeScalars {
                var v = scalar.value
                if let h = TextNormalisation.halfWidth(v) {
                    v = h
                    changed = true
                }
                if TextNormalisation.isSpace(v) {
                    changed = true
                    if n > 0 { trailing = true }
                    continue
                }
                if trailing || n >= 24 {
                    overlong = true
                    return
                }
                if v == 0x78 {  // x
                    v = 0x58
                    changed = true
                }
                guard v < 0x80 else {
                    overlong = true
                    return
                }
                scratch[n] = UInt8(v)
                n += 1
            }
        }
        if overlong { throw .invalidFormat }
        let id: String
        let fields: (LocalDate, Sex)
        do {
            fields = try withUnsafeBytes(of: &buf) { (u) throws(Failure) -> (LocalDate, Sex) in
                let b = UnsafeBufferPointer(rebasing: u.bindMemory(to: UInt8.self)[0..<n])
                return try IDNumber.check(b)
            }
        }
        if changed {
            id = withUnsafeBytes(of: &buf) { u in String(decoding: u[0..<n], as: UTF8.self) }
        } else {
            id = raw
        }
        value = id
        birthDate = fields.0
        sex = fields.1
    }

    /// Validates normalised ASCII bytes.
    static func check(_ b: UnsafeBufferPointer<UInt8>) throws(Failure) -> (LocalDate, Sex) {
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        if b.count == 15, b.allSatisfy(isDigit) { throw .legacy15Digit }
        guard b.count == 18 else { throw .invalidFormat }
        for k in 0..<17 where !isDigit(b[k]) { throw .invalidFormat }
        guard isDigit(b[17]) || b[17] == UInt8(ascii: "X") else { throw .invalidFormat }
        func num(_ r: Range<Int>) -> Int {
            var v = 0
            for k in r { v = v * 10 + Int(b[k] - 48) }
            return v
        }
        guard let date = LocalDate(year: num(6..<10), month: num(10..<12), day: num(12..<14)), num(6..<10) >= 1800
        else { throw .invalidBirthDate }
        guard checkCharacter(forFirst17: UnsafeBufferPointer(rebasing: b[0..<17])) == b[17] else {
            throw .invalidChecksum
        }
        return (date, num(14..<17) % 2 == 1 ? .male : .female)
    }

    /// Builds a valid ID number (for tests, generators and examples).
    /// - Parameter sequence: 0…999; odd for male, even for female.
    public static func make(region: String, birthDate: LocalDate, sequence: Int) -> IDNumber {
        precondition(region.utf8.count == 6 && region.utf8.allSatisfy { $0 >= 48 && $0 <= 57 })
        precondition((0...999).contains(sequence))
        let (y, m, d) = birthDate.components
        var seq = String(sequence)
        while seq.count < 3 { seq = "0" + seq }
        let first17 = region + String(format4: y) + String(format2: m) + String(format2: d) + seq
        let check = checkCharacter(forFirst17: Array(first17.utf8))
        // swiftlint:disable:next force_try
        return try! IDNumber(validating: first17 + String(UnicodeScalar(check)))
    }

    /// The 6-digit region code (行政区划代码) the number was issued in.
    public var regionCode: Substring { value.prefix(6) }

    /// The 3-digit sequence number.
    public var sequence: Int { Int(value.dropFirst(14).prefix(3))! }

    /// Masked: `4211**********002X`.
    public var description: String { Masking.maskIDNumber(value) }
}
