import Crypto

/// Masked forms of personal data for alerts, logs and anything else that leaves the office
/// web app (DESIGN.md "Security and privacy").
public enum Masking {
    /// an 18-character ID `4211…002X` → `4211**********002X` (first 4, ten stars, last 4). Anything that
    /// is not 18 characters is masked entirely except its first and last character (and
    /// completely when shorter than 4), so a malformed number never leaks either.
    public static func maskIDNumber(_ id: String) -> String {
        var id = id
        // Every valid ID number is ASCII: mask its bytes without building an array of scalars (this runs for every
        // alert message).
        let ascii: String? = id.withUTF8 { u -> String? in
            guard u.allSatisfy({ $0 < 0x80 }) else { return nil }
            let n = u.count
            guard n >= 4 else { return String(repeating: "*", count: n) }
            return String(unsafeUninitializedCapacity: n) { out in
                let keep = n == 18 ? 4 : 1
                for k in 0..<n { out[k] = k < keep || k >= n - keep ? u[k] : star }
                return n
            }
        }
        if let ascii { return ascii }
        let chars = Array(id.unicodeScalars)
        guard chars.count >= 4 else { return String(repeating: "*", count: chars.count) }
        let keep = chars.count == 18 ? 4 : 1
        var s = String.UnicodeScalarView(chars[0..<keep])
        s.append(contentsOf: String(repeating: "*", count: chars.count - 2 * keep).unicodeScalars)
        s.append(contentsOf: chars[(chars.count - keep)...])
        return String(s)
    }

    private static let star = UInt8(ascii: "*")

    /// `王芳` → `王*`, `欧阳娜娜` → `欧***`: the first character and one star per remaining
    /// character. A one-character name is just `*` (its first character is the whole name), so
    /// a full name never appears. Empty stays empty.
    public static func maskName(_ name: String) -> String {
        guard let first = name.unicodeScalars.first else { return "" }
        // A one-character name is all surname: showing it would show the whole name.
        if name.count == 1 { return "*" }
        // One scalar only: a variation selector or combining mark after it stays hidden too.
        return String(Character(first)) + String(repeating: "*", count: name.count - 1)
    }
}

/// A keyed, stable, non-reversible reference to a person: HMAC-SHA256 of the normalised ID
/// number with a deployment secret, as 64 lowercase hex characters.
public struct PersonRefKey: Sendable {
    /// The keyed HMAC state, prepared once (building the key per call costs several times the hash).
    private let hasher: PersonRefHasher

    public init(secret: [UInt8]) {
        precondition(!secret.isEmpty, "personRef secret must not be empty")
        self.hasher = PersonRefHasher(secret: secret)
    }

    public init(secret: String) { self.init(secret: Array(secret.utf8)) }

    /// `personRef` of a normalised ID number (`IDNumber.value` / `Person.idNumber`).
    public func personRef(idNumber: String) -> String {
        hasher.personRef(idNumber: idNumber)
    }

    public func personRef(_ id: IDNumber) -> String { personRef(idNumber: id.value) }
}

/// Lowercase hex.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
