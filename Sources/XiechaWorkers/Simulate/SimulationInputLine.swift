import XiechaCore

/// One line of `xiecha simulate` input, read:
/// `{"topic": "<topic name>", "timestamp": "<ISO-8601>", "value": {...}, "key": "…"?}`.
///
/// - `value` is the Kafka message value. An object (or any JSON other than a string or `null`)
///   stands for its own bytes, sliced unchanged from the line, so intake sees exactly what a
///   producer would have sent. A JSON **string** stands for raw message text (its UTF-8 bytes),
///   so a record that is not JSON at all can be simulated: `"value": "{not json"`. `null` is a
///   null value (a tombstone on `ref.address-directory.v1`, with the house in `key`).
/// - `key` (optional) is the Kafka key; only the address directory uses it.
/// - `timestamp` is the record's event time: ISO-8601 with a zone (`2026-09-01T10:00:00+08:00`),
///   or local time in the jurisdiction's zone without one (`2026-09-01T10:00:00`, and a bare
///   `2026-09-01` is local midnight) — deadlines are local calendar days, so are these.
public struct SimulationInputLine: Sendable, Hashable {
    public var topic: Topic
    public var timestamp: Timestamp
    public var key: String?
    /// The message value; `nil` for a null value.
    public var value: [UInt8]?

    public init(topic: Topic, timestamp: Timestamp, key: String? = nil, value: [UInt8]?) {
        self.topic = topic
        self.timestamp = timestamp
        self.key = key
        self.value = value
    }

    /// A line that cannot be simulated: why, and what little could be read from it.
    public struct Malformed: Error, Sendable, Hashable {
        public var reason: DeadLetterReason
        /// The `topic` text of the line when it had one (even an unknown one).
        public var topicName: String?
        /// The value's `recordId` when it could be read.
        public var recordId: String?
    }

    /// Topics a simulate input line may name: the five department feeds and the address directory.
    public static let acceptedTopics: [Topic] = Topic.departmentFeeds + [.addressDirectory]

    /// Parses one input line (without its line terminator).
    /// - Parameter localUTCOffsetSeconds: the jurisdiction's zone, for timestamps without one.
    public static func parse(_ line: [UInt8], localUTCOffsetSeconds: Int) -> Result<SimulationInputLine, Malformed> {
        let root: JSONValue
        do {
            root = try JSONParser.parse(line)
        } catch {
            switch error.kind {
            case .invalidUTF8:
                return .failure(Malformed(reason: DeadLetterReason(.invalidUTF8, detail: "input line: invalid UTF-8 at byte \(error.offset)")))
            case .syntax:
                return .failure(
                    Malformed(reason: DeadLetterReason(.notJSON, detail: "input line: \(error.message) at byte \(error.offset)")))
            }
        }
        guard case .object(let object) = root else {
            return .failure(Malformed(reason: DeadLetterReason(.notObject, detail: "input line is a JSON \(root.typeName), not an object")))
        }

        // topic
        let topicName: String
        switch object["topic"] {
        case nil, .null?:
            return .failure(Malformed(reason: DeadLetterReason(.missingField, path: "topic", detail: "input line has no topic")))
        case .string(let s)?:
            topicName = s
        case let other?:
            return .failure(
                Malformed(reason: DeadLetterReason(.wrongType, path: "topic", detail: "expected a string, got \(other.typeName)")))
        }
        let recordId = object["value"].flatMap { RecordDecoder.bestEffortRecordId($0) }
        func fail(_ reason: DeadLetterReason) -> Result<SimulationInputLine, Malformed> {
            .failure(Malformed(reason: reason, topicName: topicName.isEmpty ? nil : topicName, recordId: recordId))
        }
        guard let topic = Topic(rawValue: topicName.trimmingASCIISpaces()) else {
            return fail(DeadLetterReason(.unknownEnum, path: "topic", detail: "not a Xiecha topic name"))
        }
        guard acceptedTopics.contains(topic) else {
            return fail(
                DeadLetterReason(
                    .unsupportedTopic, path: nil,
                    detail: "simulate reads the department feeds and the address directory, not \(topic.rawValue)"))
        }

        // timestamp
        let timestamp: Timestamp
        switch object["timestamp"] {
        case nil, .null?:
            return fail(DeadLetterReason(.missingField, path: "timestamp", detail: "input line has no timestamp"))
        case .string(let s)?:
            guard let t = Timestamp(iso: s.trimmingASCIISpaces(), zonelessUTCOffsetSeconds: localUTCOffsetSeconds) else {
                return fail(DeadLetterReason(.invalidDate, path: "timestamp", detail: "not an ISO-8601 date-time"))
            }
            timestamp = t
        case let other?:
            return fail(DeadLetterReason(.wrongType, path: "timestamp", detail: "expected a string, got \(other.typeName)"))
        }

        // key
        let key: String?
        switch object["key"] {
        case nil, .null?: key = nil
        case .string(let s)?: key = s
        case let other?:
            return fail(DeadLetterReason(.wrongType, path: "key", detail: "expected a string, got \(other.typeName)"))
        }

        // value
        let value: [UInt8]?
        switch object["value"] {
        case nil:
            return fail(DeadLetterReason(.missingField, path: "value", detail: "input line has no value (use null for a tombstone)"))
        case .null?:
            value = nil
        case .string(let s)?:
            value = Array(s.utf8)
        case let v?:
            if let span = TopLevelMemberSpan.lastSpan(of: "value", in: line) {
                value = Array(line[span])
            } else {
                var w = JSONWriter(capacity: line.count)
                w.value(v)
                value = w.bytes
            }
        }
        return .success(SimulationInputLine(topic: topic, timestamp: timestamp, key: key, value: value))
    }
}

/// Finds the bytes of one member's value in a JSON object, as written, so a record can be handed
/// on unchanged. Only for text `JSONParser` has already accepted.
enum TopLevelMemberSpan {
    /// The byte range of the value of the last top-level member named `name` (JSON objects: the
    /// last repeated key wins), or `nil` if there is none or the key is written with escapes.
    static func lastSpan(of name: String, in b: [UInt8]) -> Range<Int>? {
        let wanted = Array(name.utf8)
        var i = 0
        let n = b.count
        func skipWhitespace() {
            while i < n, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }
        /// Skips a string starting at `i` (on the opening quote); returns the raw content range.
        func skipString() -> Range<Int>? {
            guard i < n, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            while i < n {
                switch b[i] {
                case UInt8(ascii: "\\"): i += 2
                case UInt8(ascii: "\""):
                    let r = start..<i
                    i += 1
                    return r
                default: i += 1
                }
            }
            return nil
        }
        /// Skips any value starting at `i`.
        func skipValue() -> Bool {
            guard i < n else { return false }
            switch b[i] {
            case UInt8(ascii: "\""):
                return skipString() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < n {
                    switch b[i] {
                    case UInt8(ascii: "\""):
                        guard skipString() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return true
                        }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                while i < n {
                    let c = b[i]
                    if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x0A
                        || c == 0x0D || c == 0x09
                    {
                        break
                    }
                    i += 1
                }
                return true
            }
        }

        if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        skipWhitespace()
        guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var found: Range<Int>?
        while true {
            skipWhitespace()
            guard i < n else { return found }
            if b[i] == UInt8(ascii: "}") { return found }
            guard let keyRange = skipString() else { return found }
            skipWhitespace()
            guard i < n, b[i] == UInt8(ascii: ":") else { return found }
            i += 1
            skipWhitespace()
            let start = i
            guard skipValue() else { return found }
            if b[keyRange].elementsEqual(wanted) { found = start..<i }
            skipWhitespace()
            guard i < n else { return found }
            if b[i] == UInt8(ascii: ",") { i += 1 }
        }
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
