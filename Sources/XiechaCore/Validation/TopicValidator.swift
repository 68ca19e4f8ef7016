/// Validates a message of any Xiecha topic against the contract in schemas/, with the same
/// reasons intake uses, including the checks JSON Schema cannot express (ID checksums, ID
/// versus birthDate/sex, credit-code checksums). For tools, tests and consumers of Xiecha's
/// own topics; intake itself calls `IntakeProcessor`.
public enum TopicValidator {
    /// `nil` when `value` is a valid message of `topic`; the first problem otherwise.
    /// A null value is valid only on `ref.address-directory.v1` (a tombstone).
    public static func validate(topic: Topic, value: [UInt8]?) -> DeadLetterReason? {
        if value == nil, topic == .addressDirectory { return nil }
        do {
            let root = try value.withUnsafeBufferPointerOrNil { (b) throws(DeadLetterReason) -> JSONValue in
                try RecordDecoder.parseRoot(b)
            }
            switch topic {
            case .residencePermits, .marriageRegistrations, .businessLicenses, .schoolEnrollments, .certificates:
                _ = try RecordDecoder.decode(topic: topic, json: root)
            case .addressDirectory:
                _ = try RecordDecoder.addressDirectoryEntry(FieldReader(root: root))
            case .personEvents:
                _ = try PersonEvent(json: root)
            case .alerts:
                try validateAlert(FieldReader(root: root))
            case .deadLetters:
                try validateDeadLetter(FieldReader(root: root))
            }
            return nil
        } catch {
            return error
        }
    }

    static func timestamp(_ r: FieldReader, _ key: String) throws(DeadLetterReason) {
        guard Timestamp(iso: try r.string(key)) != nil else {
            throw DeadLetterReason(.invalidDate, path: r.path(key), detail: "not an RFC 3339 timestamp")
        }
    }

    static func matches(_ s: String, count: Int, _ allowed: (UInt8) -> Bool) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy(allowed)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// `xiecha.alerts.v1`, per `AlertMessage`.
    static func validateAlert(_ r: FieldReader) throws(DeadLetterReason) {
        _ = try r.code("alertId")
        _ = try r.enumValue("type", AlertType.self)
        let status: AlertStatus = try r.enumValue("status")
        _ = try r.enumValue("audience", AlertAudience.self)
        let c = try r.object("community")
        let code = try c.string("code")
        guard code == CommunityRef.unassigned.code || matches(code, count: 12, isDigit) else {
            throw DeadLetterReason(.invalidFormat, path: c.path("code"), detail: "expected 12 digits or unassigned")
        }
        _ = try c.string("name")
        if let s = try r.optionalObject("street") {
            _ = try s.digits("code", count: 9)
            _ = try s.string("name")
        }
        let subject = try r.object("subject")
        guard matches(try subject.string("personRef"), count: 64, { isDigit($0) || ($0 >= 97 && $0 <= 102) }) else {
            throw DeadLetterReason(.invalidFormat, path: subject.path("personRef"), detail: "expected 64 lowercase hex")
        }
        let masked = Array(try subject.string("maskedId").utf8)
        guard masked.count == 18, masked[0..<4].allSatisfy(isDigit), masked[4..<14].allSatisfy({ $0 == 0x2A }),
            masked[14..<17].allSatisfy(isDigit), isDigit(masked[17]) || masked[17] == 0x58
        else {
            throw DeadLetterReason(.invalidFormat, path: subject.path("maskedId"), detail: "expected 4 digits, 10 stars, 4")
        }
        let maskedName = Array(try subject.string("maskedName").unicodeScalars)
        guard maskedName.count >= 2, maskedName.dropFirst().allSatisfy({ $0 == "*" }) else {
            throw DeadLetterReason(.invalidFormat, path: subject.path("maskedName"), detail: "expected 1 character + stars")
        }
        _ = try r.text("reason")
        for (i, item) in try r.array("evidence").enumerated() {
            let e = try FieldReader(item: item, path: r.itemPath("evidence", i))
            _ = try e.enumValue("topic", Topic.self)
            _ = try e.code("recordId")
        }
        try timestamp(r, "raisedAt")
        try timestamp(r, "dueBy")
        if status == .closed || r.value("closedAt") != nil { try timestamp(r, "closedAt") }
        if status == .closed || r.value("closedBy") != nil {
            let by = try r.object("closedBy")
            _ = try by.enumValue("kind", AlertCloser.Kind.self)
            if by.value("topic") != nil { _ = try by.enumValue("topic", Topic.self) }
        }
    }

    /// The JSON form of a dead letter (schemas/README.md).
    static func validateDeadLetter(_ r: FieldReader) throws(DeadLetterReason) {
        _ = try r.code("topic")
        for key in ["partition", "offset"] {
            guard let v = r.value(key) else { continue }
            guard case .number(let d) = v, d == d.rounded() else {
                throw DeadLetterReason(.wrongType, path: key, detail: "expected an integer")
            }
            guard d >= 0 else { throw DeadLetterReason(.invalidFormat, path: key, detail: "must not be negative") }
        }
        if r.value("recordId") != nil { _ = try r.code("recordId") }
        let reason = try r.string("reason")
        guard isReasonCode(reason) else {
            throw DeadLetterReason(.invalidFormat, path: "reason", detail: "expected kind or kind:path")
        }
        _ = try r.optionalString("detail")
        guard r.object["value"] != nil else { throw DeadLetterReason(.missingField, path: "value") }
        let value = try r.optionalString("value")
        if r.value("valueEncoding") != nil {
            let encoding = try r.string("valueEncoding")
            guard encoding == "utf8" || encoding == "base64" else {
                throw DeadLetterReason(.unknownEnum, path: "valueEncoding", detail: "expected utf8 or base64")
            }
            if encoding == "base64", let value, Base64.decode(value) == nil {
                throw DeadLetterReason(.invalidFormat, path: "value", detail: "not base64")
            }
        }
    }

    /// `^[a-z0-9_]+(:[A-Za-z0-9_.\[\]]+)?$`
    public static func isReasonCode(_ s: String) -> Bool {
        var seenColon = false
        var kindLength = 0
        var pathLength = 0
        for c in s.utf8 {
            if !seenColon {
                if c == UInt8(ascii: ":") {
                    seenColon = true
                    continue
                }
                guard (c >= 97 && c <= 122) || isDigit(c) || c == UInt8(ascii: "_") else { return false }
                kindLength += 1
            } else {
                guard (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c == UInt8(ascii: "_")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
                else { return false }
                pathLength += 1
            }
        }
        return kindLength > 0 && (!seenColon || pathLength > 0)
    }
}

extension Optional where Wrapped == [UInt8] {
    func withUnsafeBufferPointerOrNil<R>(_ body: (UnsafeBufferPointer<UInt8>?) throws(DeadLetterReason) -> R)
        throws(DeadLetterReason) -> R
    {
        guard let self else { return try body(nil) }
        let r: Result<R, DeadLetterReason> = self.withUnsafeBufferPointer { b in
            Result { () throws(DeadLetterReason) in try body(b) }
        }
        return try r.get()
    }
}
