import Crypto

/// Keyed person references and alert ids used by the rules (masking is `Masking`, Privacy/).
///
/// `personRef` gives exactly `PersonRefKey.personRef` (Privacy/) — HMAC-SHA256, lowercase hex —
/// with the keyed HMAC state prepared once (`PersonRefHasher`).
enum RulesPrivacy {
    /// HMAC-SHA256 of the ID number with `secret`, lowercase hex (= `PersonRefKey.personRef`).
    static func personRef(idNumber: String, secret: [UInt8]) -> String {
        PersonRefHasher(secret: secret).personRef(idNumber: idNumber)
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
