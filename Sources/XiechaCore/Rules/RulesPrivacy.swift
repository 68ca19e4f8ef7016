import Crypto

/// Masking, keyed person references and alert ids used by the rules.
///
/// `personRef` gives exactly `PersonRefKey.personRef` (Privacy/) — HMAC-SHA256, lowercase hex —
/// but keeps the keyed HMAC state prepared once per engine (`PersonRefHasher`), which is about
/// six times cheaper per person than building the key for every call.
///
/// `maskId` / `maskName` are the rules' own: they agree with `Masking.maskIDNumber` /
/// `Masking.maskName` on every 18-character ID number and every name of two or more characters
/// (all that intake lets through), and differ only on malformed input: an ID of exactly 3
/// characters (`a*c` here, `***` there) and a one-character name (kept whole here, `王*` there).
/// The tests pin both the agreement and these differences.
enum RulesPrivacy {
    /// HMAC-SHA256 of the ID number with `secret`, lowercase hex (= `PersonRefKey.personRef`).
    static func personRef(idNumber: String, secret: [UInt8]) -> String {
        PersonRefHasher(secret: secret).personRef(idNumber: idNumber)
    }

    private static let star = UInt8(ascii: "*")

    /// First 4 + 10 stars + last 4 for an 18-character ID (`4211**********002X`); shorter
    /// strings keep at most their first and last character. Counts `Character`s, like the
    /// original; ASCII input (every valid ID number) takes a byte-level path.
    static func maskId(_ id: String) -> String {
        var id = id
        let ascii: String? = id.withUTF8 { u -> String? in
            guard u.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }  // CR LF is one Character
            let n = u.count
            if n == 18 {
                return String(unsafeUninitializedCapacity: 18) { out in
                    for k in 0..<4 { out[k] = u[k] }
                    for k in 4..<14 { out[k] = star }
                    for k in 14..<18 { out[k] = u[k] }
                    return 18
                }
            }
            guard n > 2 else { return String(repeating: "*", count: n) }
            return String(unsafeUninitializedCapacity: n) { out in
                out[0] = u[0]
                for k in 1..<(n - 1) { out[k] = star }
                out[n - 1] = u[n - 1]
                return n
            }
        }
        if let ascii { return ascii }
        let chars = Array(id)
        if chars.count == 18 { return String(chars[0..<4]) + "**********" + String(chars[14..<18]) }
        guard chars.count > 2 else { return String(repeating: "*", count: chars.count) }
        return String(chars[0]) + String(repeating: "*", count: chars.count - 2) + String(chars[chars.count - 1])
    }

    /// First character + one star per remaining character (`王芳` → `王*`).
    static func maskName(_ name: String) -> String {
        guard let first = name.first else { return "" }
        let count = name.count
        // Always at least one star: a one-character name must not appear in full (DESIGN.md "Security and privacy").
        return String(first) + String(repeating: "*", count: Swift.max(1, count - 1))
    }

    /// Deterministic alert id: SHA-256 of rule, person (by `personRef`, never the raw ID) and
    /// subject; the first 128 bits, lowercase hex.
    static func alertId(type: AlertType, personRef: String, subject: String) -> String {
        var hasher = SHA256()
        update(&hasher, alertIdPrefix)
        update(&hasher, type.rawValue)
        update(&hasher, separator)
        update(&hasher, personRef)
        update(&hasher, separator)
        update(&hasher, subject)
        return hasher.finalize().withUnsafeBytes { lowercaseHex($0.prefix(16)) }
    }

    private static let alertIdPrefix: StaticString = "xiecha.alert.v1|"
    private static let separator: StaticString = "|"

    @inline(__always)
    static func update(_ hasher: inout SHA256, _ text: StaticString) {
        text.withUTF8Buffer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    static func update(_ hasher: inout SHA256, _ text: String) {
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    /// Lowercase hex of `bytes` (= `Hex.lowercase`), written straight into the string.
    static func lowercaseHex(_ bytes: UnsafeRawBufferPointer.SubSequence) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes {
                out[i] = digits.utf8Start[Int(b >> 4)]
                out[i + 1] = digits.utf8Start[Int(b & 0x0F)]
                i += 2
            }
            return i
        }
    }

    /// Name comparison key: full-width ASCII folded to half-width and all white space removed
    /// (including the ideographic space U+3000).
    static func normalisedName(_ name: String) -> String {
        var out = String.UnicodeScalarView()
        for s in name.unicodeScalars {
            if s.properties.isWhitespace { continue }
            if (0xFF01...0xFF5E).contains(s.value), let half = Unicode.Scalar(s.value - 0xFEE0) {
                out.append(half)
            } else {
                out.append(s)
            }
        }
        return String(out)
    }
}

/// `personRef` with the keyed HMAC state prepared once: HMAC-SHA256 (RFC 2104) of the ID
/// number's UTF-8 with the configured secret, lowercase hex — the same value as
/// `PersonRefKey.personRef` (a test checks this).
///
/// Keeps the two SHA-256 states that have absorbed the padded key (`key ⊕ ipad`, `key ⊕ opad`).
/// `SHA256` is a value type with copy-on-write contexts: each call copies the prepared states
/// and never mutates the shared ones, so sharing them across threads is safe.
struct PersonRefHasher: @unchecked Sendable {
    private let inner: SHA256
    private let outer: SHA256
    let secret: [UInt8]

    init(secret: [UInt8]) {
        self.secret = secret
        let blockSize = SHA256.blockByteCount
        var key = secret
        if key.count > blockSize { key = SHA256.hash(data: key).withUnsafeBytes { Array($0) } }
        key += [UInt8](repeating: 0, count: blockSize - key.count)
        var inner = SHA256()
        inner.update(data: key.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: key.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    func personRef(idNumber: String) -> String {
        var h = inner
        RulesPrivacy.update(&h, idNumber)
        let innerDigest = h.finalize()
        var o = outer
        innerDigest.withUnsafeBytes { o.update(bufferPointer: $0) }
        return o.finalize().withUnsafeBytes { RulesPrivacy.lowercaseHex($0[...]) }
    }
}
