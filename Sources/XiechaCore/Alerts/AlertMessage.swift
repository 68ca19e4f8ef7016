/// The kinds of alert Xiecha raises (DESIGN.md "Rules").
public enum AlertType: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case certificateMissing = "certificate_missing"
    case certificateExpiring = "certificate_expiring"
    case certificateExpired = "certificate_expired"
    case maritalStatusChanged = "marital_status_changed"
    case childNotOnCertificate = "child_not_on_certificate"
    case movedIn = "moved_in"
    case movedOut = "moved_out"
    case recordConflict = "record_conflict"
    /// Raised by the notify worker only; the crosscheck engine never produces it.
    case escalation

    /// Whether only an office can close the alert (the engine never closes it).
    public var closesOnlyByAcknowledgement: Bool {
        switch self {
        case .movedIn, .movedOut, .recordConflict, .escalation: return true
        default: return false
        }
    }

    /// The office that must act on alerts of this type.
    public var audience: AlertAudience {
        switch self {
        case .recordConflict, .escalation: return .street
        default: return .community
        }
    }

    /// Where alerts of this type come among the messages of one evaluation (`<`; ties go by
    /// `alertId`), and so the order of `xiecha simulate`'s lines. A sort order only: it is never
    /// stored or hashed (the state stores `stableTag`, alert ids hash `rawValue`), and since each
    /// `alertId` has one type it does not change what a consumer keeping the last message per
    /// `alertId` ends up with. Written out so that declaring a case elsewhere does not reorder output.
    public var publicationRank: Int {
        switch self {
        case .certificateMissing: return 0
        case .certificateExpiring: return 1
        case .certificateExpired: return 2
        case .maritalStatusChanged: return 3
        case .childNotOnCertificate: return 4
        case .movedIn: return 5
        case .movedOut: return 6
        case .recordConflict: return 7
        case .escalation: return 8
        }
    }

    /// By `publicationRank`.
    public static func < (lhs: AlertType, rhs: AlertType) -> Bool {
        lhs.publicationRank < rhs.publicationRank
    }
}

/// `status` of an alert message.
public enum AlertStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case open, closed
}

/// Which office must act: the community's own office, or its street office.
public enum AlertAudience: String, Sendable, Hashable, Codable, CaseIterable {
    case community, street
}

/// Who an alert is about, without personal details: a keyed hash and masked ID and name.
public struct AlertSubject: Sendable, Hashable, Codable {
    /// HMAC-SHA256 of the ID number with the configured secret, lowercase hex.
    public var personRef: String
    /// `4211**********002X`.
    public var maskedId: String
    /// `王*`.
    public var maskedName: String

    public init(personRef: String, maskedId: String, maskedName: String) {
        self.personRef = personRef
        self.maskedId = maskedId
        self.maskedName = maskedName
    }
}

/// A record that raised (or closed) an alert: `{"topic", "recordId"}`.
public struct AlertEvidence: Sendable, Hashable, Codable, Comparable {
    public var topic: Topic
    public var recordId: String

    public init(topic: Topic, recordId: String) {
        self.topic = topic
        self.recordId = recordId
    }

    public static func < (lhs: AlertEvidence, rhs: AlertEvidence) -> Bool {
        (lhs.topic.rawValue, lhs.recordId) < (rhs.topic.rawValue, rhs.recordId)
    }
}

/// What closed an alert (`closedBy`):
/// - `{"kind": "record", "topic", "recordId"}`: a department record (e.g. a valid certificate);
/// - `{"kind": "office", "office"}`: an office acknowledged or closed it;
/// - `{"kind": "clock"}`: written by versions before alerts closed only on their DESIGN.md
///   condition (time passed and the rule stopped applying); still decoded, never produced now.
public struct AlertCloser: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case record, office, clock }
    public var kind: Kind
    public var topic: Topic?
    public var recordId: String?
    public var office: String?

    public init(kind: Kind, topic: Topic? = nil, recordId: String? = nil, office: String? = nil) {
        self.kind = kind
        self.topic = topic
        self.recordId = recordId
        self.office = office
    }

    /// Closed by a department record.
    public static func record(_ evidence: AlertEvidence) -> AlertCloser {
        AlertCloser(kind: .record, topic: evidence.topic, recordId: evidence.recordId)
    }
    /// Closed by an office (code of the community or street office that acted).
    public static func office(_ code: String) -> AlertCloser { AlertCloser(kind: .office, office: code) }
    /// Closed because the rule stopped applying as time passed (older versions only).
    public static let clock = AlertCloser(kind: .clock)
}

/// One message on `xiecha.alerts.v1` (DESIGN.md "Alerts"): each change of an alert is one
/// message; consumers keep the last message per `alertId`.
///
/// JSON: `alertId, type, status, audience, community {code,name}, street {code,name} | null,
/// subject {personRef, maskedId, maskedName}, reason, evidence [{topic, recordId}], raisedAt,
/// dueBy`, plus `closedAt` and `closedBy` when closed (absent while open).
public struct AlertMessage: Sendable, Hashable, Codable {
    /// Deterministic: a hash of the rule, the person and the rule's subject.
    public var alertId: String
    public var type: AlertType
    public var status: AlertStatus
    public var audience: AlertAudience
    public var community: CommunityRef
    /// `nil` (JSON `null`) when the house is unknown.
    public var street: StreetRef?
    public var subject: AlertSubject
    /// Chinese, for office staff; never contains a full ID number or full name.
    public var reason: String
    /// The records that raised it, sorted by topic then recordId.
    public var evidence: [AlertEvidence]
    /// The event-time instant the alert (this open episode) was raised.
    public var raisedAt: Timestamp
    /// When the office should have acted: `raisedAt` + the configured escalation days.
    public var dueBy: Timestamp
    public var closedAt: Timestamp?
    public var closedBy: AlertCloser?

    public init(
        alertId: String, type: AlertType, status: AlertStatus, audience: AlertAudience, community: CommunityRef,
        street: StreetRef?, subject: AlertSubject, reason: String, evidence: [AlertEvidence], raisedAt: Timestamp,
        dueBy: Timestamp, closedAt: Timestamp? = nil, closedBy: AlertCloser? = nil
    ) {
        self.alertId = alertId
        self.type = type
        self.status = status
        self.audience = audience
        self.community = community
        self.street = street
        self.subject = subject
        self.reason = reason
        self.evidence = evidence
        self.raisedAt = raisedAt
        self.dueBy = dueBy
        self.closedAt = closedAt
        self.closedBy = closedBy
    }

    /// The Kafka message key on `xiecha.alerts.v1`: the community code, or for street-audience
    /// alerts the street code (`unassigned` when the street is unknown).
    public var kafkaKey: String {
        switch audience {
        case .community: return community.code
        case .street: return street?.code ?? CommunityRef.unassigned.code
        }
    }

    /// This alert, closed at `instant` by `closer`.
    public func closed(at instant: Timestamp, by closer: AlertCloser) -> AlertMessage {
        var copy = self
        copy.status = .closed
        copy.closedAt = instant
        copy.closedBy = closer
        return copy
    }

    private enum CodingKeys: String, CodingKey {
        case alertId, type, status, audience, community, street, subject, reason, evidence, raisedAt, dueBy
        case closedAt, closedBy
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alertId = try c.decode(String.self, forKey: .alertId)
        type = try c.decode(AlertType.self, forKey: .type)
        status = try c.decode(AlertStatus.self, forKey: .status)
        audience = try c.decode(AlertAudience.self, forKey: .audience)
        community = try c.decode(CommunityRef.self, forKey: .community)
        street = try c.decodeIfPresent(StreetRef.self, forKey: .street)
        subject = try c.decode(AlertSubject.self, forKey: .subject)
        reason = try c.decode(String.self, forKey: .reason)
        evidence = try c.decode([AlertEvidence].self, forKey: .evidence)
        raisedAt = try c.decode(Timestamp.self, forKey: .raisedAt)
        dueBy = try c.decode(Timestamp.self, forKey: .dueBy)
        closedAt = try c.decodeIfPresent(Timestamp.self, forKey: .closedAt)
        closedBy = try c.decodeIfPresent(AlertCloser.self, forKey: .closedBy)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(alertId, forKey: .alertId)
        try c.encode(type, forKey: .type)
        try c.encode(status, forKey: .status)
        try c.encode(audience, forKey: .audience)
        try c.encode(community, forKey: .community)
        try c.encode(street, forKey: .street)  // explicit null when unknown
        try c.encode(subject, forKey: .subject)
        try c.encode(reason, forKey: .reason)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(raisedAt, forKey: .raisedAt)
        try c.encode(dueBy, forKey: .dueBy)
        try c.encodeIfPresent(closedAt, forKey: .closedAt)
        try c.encodeIfPresent(closedBy, forKey: .closedBy)
    }
}

// MARK: - Fast JSON

extension AlertMessage {
    /// Compact JSON with sorted keys, UTF-8, `/` not escaped: the same document `JSONEncoder` with
    /// `[.sortedKeys, .withoutEscapingSlashes]` writes, about ten times faster. This is what goes
    /// on `xiecha.alerts.v1` and to `xiecha simulate`'s stdout (one line per message).
    public var jsonBytes: [UInt8] {
        var w = AlertJSONWriter()
        w.reserve(640)
        w.raw("{\"alertId\":")
        w.string(alertId)
        w.raw(",\"audience\":")
        w.string(audience.rawValue)
        if let closedAt {
            w.raw(",\"closedAt\":")
            w.string(closedAt.description)
        }
        if let closedBy {
            w.raw(",\"closedBy\":{\"kind\":")
            w.string(closedBy.kind.rawValue)
            if let office = closedBy.office {
                w.raw(",\"office\":")
                w.string(office)
            }
            if let recordId = closedBy.recordId {
                w.raw(",\"recordId\":")
                w.string(recordId)
            }
            if let topic = closedBy.topic {
                w.raw(",\"topic\":")
                w.string(topic.rawValue)
            }
            w.raw("}")
        }
        w.raw(",\"community\":{\"code\":")
        w.string(community.code)
        w.raw(",\"name\":")
        w.string(community.name)
        w.raw("},\"dueBy\":")
        w.string(dueBy.description)
        w.raw(",\"evidence\":[")
        for (i, e) in evidence.enumerated() {
            w.raw(i == 0 ? "{\"recordId\":" : ",{\"recordId\":")
            w.string(e.recordId)
            w.raw(",\"topic\":")
            w.string(e.topic.rawValue)
            w.raw("}")
        }
        w.raw("],\"raisedAt\":")
        w.string(raisedAt.description)
        w.raw(",\"reason\":")
        w.string(reason)
        w.raw(",\"status\":")
        w.string(status.rawValue)
        if let street {
            w.raw(",\"street\":{\"code\":")
            w.string(street.code)
            w.raw(",\"name\":")
            w.string(street.name)
            w.raw("}")
        } else {
            w.raw(",\"street\":null")
        }
        w.raw(",\"subject\":{\"maskedId\":")
        w.string(subject.maskedId)
        w.raw(",\"maskedName\":")
        w.string(subject.maskedName)
        w.raw(",\"personRef\":")
        w.string(subject.personRef)
        w.raw("},\"type\":")
        w.string(type.rawValue)
        w.raw("}")
        return w.bytes
    }

    /// `jsonBytes` as a `String` (one JSON line without the newline).
    public var jsonString: String { String(decoding: jsonBytes, as: UTF8.self) }
}

/// Minimal JSON text writer for the fixed alert schema.
struct AlertJSONWriter {
    var bytes: [UInt8] = []

    mutating func reserve(_ n: Int) { bytes.reserveCapacity(n) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { buf in
            for c in buf {
                switch c {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(c)
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(c)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 48, 48])
                    bytes.append(hex[Int(c >> 4)])
                    bytes.append(hex[Int(c & 0xF)])
                default: bytes.append(c)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
