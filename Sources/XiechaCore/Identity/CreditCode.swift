/// Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from
/// `0-9A-HJ-NPQRTUWXY` (no I, O, S, V, Z), the last a MOD 31 check character.
public enum CreditCode {
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    static let weights: [Int] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    static func index(of c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        default: return alphabet.firstIndex(of: c)
        }
    }

    /// The check character for the first 17 characters, or `nil` if one is not in the alphabet.
    public static func checkCharacter(forFirst17 s: some Collection<UInt8>) -> UInt8? {
        guard s.count == 17 else { return nil }
        var sum = 0
        for (w, c) in zip(weights, s) {
            guard let v = index(of: c) else { return nil }
            sum += w * v
        }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// Whether `code` (already normalised: half-width, upper-case) is a valid credit code.
    public static func isValid(_ code: String) -> Bool {
        let u = Array(code.utf8)
        guard u.count == 18, let check = checkCharacter(forFirst17: u[0..<17]) else { return false }
        return u[17] == check
    }

    /// Builds a valid code from 17 leading characters (tests and generators).
    public static func make(first17: String) -> String? {
        guard let c = checkCharacter(forFirst17: Array(first17.utf8)) else { return nil }
        return first17 + String(UnicodeScalar(c))
    }
}
