import Crypto

/// Masking, keyed person references and alert ids used by the rules.
///
/// Kept small and internal so it can be swapped for the Privacy/ module's implementation once
/// that lands.
enum RulesPrivacy {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// HMAC-SHA256 of the ID number with `secret`, lowercase hex.
    static func personRef(idNumber: String, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(idNumber.utf8), using: SymmetricKey(data: secret))
        return hex(mac)
    }

    /// First 4 + 10 stars + last 4 for an 18-character ID (`4211**********002X`); shorter
    /// strings keep at most their first and last character.
    static func maskId(_ id: String) -> String {
        let chars = Array(id)
        if chars.count == 18 { return String(chars[0..<4]) + "**********" + String(chars[14..<18]) }
        guard chars.count > 2 else { return String(repeating: "*", count: chars.count) }
        return String(chars[0]) + String(repeating: "*", count: chars.count - 2) + String(chars[chars.count - 1])
    }

    /// First character + one star per remaining character (`王芳` → `王*`).
    static func maskName(_ name: String) -> String {
        guard let first = name.first else { return "" }
        return String(first) + String(repeating: "*", count: name.count - 1)
    }

    /// Deterministic alert id: SHA-256 of rule, person (by `personRef`, never the raw ID) and
    /// subject; the first 128 bits, lowercase hex.
    static func alertId(type: AlertType, personRef: String, subject: String) -> String {
        let text = "xiecha.alert.v1|\(type.rawValue)|\(personRef)|\(subject)"
        return hex(SHA256.hash(data: Array(text.utf8)).prefix(16))
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
