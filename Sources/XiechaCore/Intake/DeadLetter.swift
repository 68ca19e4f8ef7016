/// A record that failed validation, as written to `xiecha.dead-letters.v1` and (as JSON) to
/// `xiecha simulate`'s stderr. See schemas/README.md "Dead letters".
///
/// On Kafka the message value is the original bytes unchanged, the key the original key, and
/// everything else travels in headers (`kafkaHeaders`). The JSON form (`jsonBytes`) is
/// `{"topic","partition"?,"offset"?,"recordId"?,"reason","detail"?,"value","valueEncoding"?}`.
public struct DeadLetter: Sendable, Hashable {
    /// Source topic name (a string: a dead letter may come from any topic).
    public var topic: String
    public var partition: Int32?
    public var offset: Int64?
    public var recordId: String?
    public var reason: DeadLetterReason
    /// The original value; `nil` for a null value.
    public var value: [UInt8]?

    public init(
        topic: String, partition: Int32? = nil, offset: Int64? = nil, recordId: String? = nil,
        reason: DeadLetterReason, value: [UInt8]?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.recordId = recordId
        self.reason = reason
        self.value = value
    }

    /// Header names on `xiecha.dead-letters.v1`.
    public enum Header {
        public static let reason = "xiecha.reason"
        public static let detail = "xiecha.detail"
        public static let sourceTopic = "xiecha.source.topic"
        public static let sourcePartition = "xiecha.source.partition"
        public static let sourceOffset = "xiecha.source.offset"
        public static let recordId = "xiecha.record-id"
    }

    /// Headers for the Kafka dead-letter message, in a fixed order; values are UTF-8 text.
    public var kafkaHeaders: [(key: String, value: [UInt8])] {
        var h: [(key: String, value: [UInt8])] = [
            (Header.reason, Array(reason.code.utf8)), (Header.sourceTopic, Array(topic.utf8)),
        ]
        if let partition { h.append((Header.sourcePartition, Array(String(partition).utf8))) }
        if let offset { h.append((Header.sourceOffset, Array(String(offset).utf8))) }
        if let recordId { h.append((Header.recordId, Array(recordId.utf8))) }
        if let detail = reason.detail { h.append((Header.detail, Array(detail.utf8))) }
        return h
    }

    /// The JSON line form. `value` is the original text when it is valid UTF-8, else its base64
    /// with `"valueEncoding": "base64"`; `null` for a null value. With `includeValue: false`
    /// the value is left out (for outputs that must carry no personal data at all).
    public func jsonBytes(includeValue: Bool = true) -> [UInt8] {
        var w = JSONWriter(capacity: 128 + (includeValue ? (value?.count ?? 0) + 32 : 0))
        w.beginObject()
        w.member("topic", topic)
        if let partition {
            w.key("partition")
            w.int(Int64(partition))
        }
        if let offset {
            w.key("offset")
            w.int(offset)
        }
        w.member("recordId", ifPresent: recordId)
        w.member("reason", reason.code)
        w.member("detail", ifPresent: reason.detail)
        if includeValue {
            w.key("value")
            if let value {
                if UTF8Validation.isValid(value) {
                    w.string(String(decoding: value, as: UTF8.self))
                } else {
                    w.string(Base64.encode(value))
                    w.member("valueEncoding", "base64")
                }
            } else {
                w.null()
            }
        }
        w.endObject()
        return w.bytes
    }

    /// Reads the JSON form back.
    public init(jsonBytes: [UInt8]) throws(DeadLetterReason) {
        let root = try jsonBytes.withUnsafeBufferPointer { (b) throws(DeadLetterReason) -> JSONValue in
            try RecordDecoder.parseRoot(b)
        }
        let r = try FieldReader(root: root)
        func int(_ key: String) throws(DeadLetterReason) -> Int64? {
            guard let v = r.value(key) else { return nil }
            guard case .number(let d) = v, d == d.rounded(), abs(d) < 9.0e15 else {
                throw DeadLetterReason(.wrongType, path: key, detail: "expected an integer")
            }
            return Int64(d)
        }
        topic = try r.string("topic")
        partition = try int("partition").map { Int32(truncatingIfNeeded: $0) }
        offset = try int("offset")
        recordId = try r.optionalString("recordId")
        reason = DeadLetterReason(code: try r.string("reason"), detail: try r.optionalString("detail"))
        if let text = try r.optionalString("value") {
            if try r.optionalString("valueEncoding") == "base64" {
                guard let bytes = Base64.decode(text) else {
                    throw DeadLetterReason(.invalidFormat, path: "value", detail: "not base64")
                }
                value = bytes
            } else {
                value = Array(text.utf8)
            }
        } else {
            value = nil
        }
    }
}

/// Standard base64 (RFC 4648, with padding), without Foundation.
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text.utf8 {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - 71)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c + 4)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        guard text.utf8.count % 4 == 0, padding <= 2 else { return nil }
        return out
    }
}
