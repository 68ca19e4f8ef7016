/// The persisted forms of `PersonState`.
///
/// **Binary** (`encoded()` / `init(decoding:)`), what the state store keeps. Version 2:
///
/// ```
/// "X" 0x02                       magic, format version (1: no checkpoint; still read)
/// varint n, n × (varint len, UTF-8)  string table: every distinct string once
/// body                           strings as varint indexes into the table
/// ```
///
/// Body: idNumber, personRef; horizon, lastEvaluatedAt, nextDeadline (optional instants);
/// foldedCount; the events (each without `person.idNumber`, which is the state's); lastResidence;
/// alerts and retracted (sorted by alertId, so equal states give equal bytes); since version 2 the
/// checkpoint (0, or 1 then evaluatedAt, lastResidence as above, alerts). Integers are
/// LEB128 varints (signed ones zig-zag), enums one byte (their `StableTag`, an explicit table that
/// equals what version 2 wrote before tags were explicit: the case's position), dates days since
/// 1970-01-01, instants epoch milliseconds. `facts` is not stored: decoding folds
/// `events[..<foldedCount]` again, which is what it always equals.
///
/// **JSON** (`Codable`): the same content with readable field names (again without `facts`).
extension PersonState {
    /// The compact binary form (see above). Deterministic: equal states give equal bytes.
    public func encoded() -> [UInt8] {
        var w = PersonStateWriter()
        w.string(idNumber)
        w.string(personRef)
        w.optionalInstant(horizon)
        w.optionalInstant(lastEvaluatedAt)
        w.optionalInstant(nextDeadline)
        w.varint(UInt64(foldedCount))
        w.varint(UInt64(events.count))
        for e in events { w.event(e) }
        w.residenceMark(lastResidence)
        w.alerts(alerts)
        w.alerts(retracted)
        if let checkpoint {
            w.byte(1)
            w.instant(checkpoint.evaluatedAt)
            w.residenceMark(checkpoint.lastResidence)
            w.alerts(checkpoint.alerts)
        } else {
            w.byte(0)
        }
        return w.finish()
    }

    /// Decodes `encoded()` output. Throws `PersonStateDecodingError` on anything malformed.
    public init(decoding bytes: [UInt8]) throws(PersonStateDecodingError) {
        var r = try PersonStateReader(bytes)
        let idNumber = try r.string()
        self.init(idNumber: idNumber, personRef: try r.string())
        horizon = try r.optionalInstant()
        lastEvaluatedAt = try r.optionalInstant()
        nextDeadline = try r.optionalInstant()
        let folded = try r.count()
        let eventCount = try r.count()
        var events: [PersonEvent] = []
        events.reserveCapacity(eventCount)
        for _ in 0..<eventCount { events.append(try r.event(idNumber: idNumber)) }
        guard folded <= events.count else { throw .malformed("foldedCount beyond the events") }
        self.events = events
        foldedCount = folded
        lastResidence = try r.residenceMark()
        alerts = try r.alerts()
        retracted = try r.alerts()
        if r.version >= 2, try r.byte() == 1 {
            checkpoint = TimelineCheckpoint(
                evaluatedAt: try r.instant(), lastResidence: try r.residenceMark(), alerts: try r.alerts())
        }
        guard r.atEnd else { throw .malformed("trailing bytes") }
        refold()
    }

    /// Rebuilds `facts` from `events[..<foldedCount]`.
    mutating func refold() {
        facts = PersonFacts(folding: events[..<foldedCount])
    }
}

/// Why `PersonState(decoding:)` refused its input.
public enum PersonStateDecodingError: Error, Sendable, Hashable {
    /// Not a person state, or a format version this build does not know.
    case unknownFormat
    /// The bytes end too early or contradict themselves.
    case malformed(String)
}

// MARK: - Codable

extension PersonState {
    private enum CodingKeys: String, CodingKey {
        case idNumber, personRef, events, horizon, lastEvaluatedAt, foldedCount, lastResidence, alerts, retracted
        case nextDeadline, checkpoint
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            idNumber: try c.decode(String.self, forKey: .idNumber), personRef: try c.decode(String.self, forKey: .personRef))
        events = try c.decode([PersonEvent].self, forKey: .events)
        horizon = try c.decodeIfPresent(Timestamp.self, forKey: .horizon)
        lastEvaluatedAt = try c.decodeIfPresent(Timestamp.self, forKey: .lastEvaluatedAt)
        foldedCount = try c.decode(Int.self, forKey: .foldedCount)
        lastResidence = try c.decodeIfPresent(ResidenceMark.self, forKey: .lastResidence)
        alerts = try c.decode([String: AlertMessage].self, forKey: .alerts)
        retracted = try c.decode([String: AlertMessage].self, forKey: .retracted)
        nextDeadline = try c.decodeIfPresent(Timestamp.self, forKey: .nextDeadline)
        checkpoint = try c.decodeIfPresent(TimelineCheckpoint.self, forKey: .checkpoint)
        guard (0...events.count).contains(foldedCount), events.allSatisfy({ $0.person.idNumber == idNumber }) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: [], debugDescription: "inconsistent person state"))
        }
        refold()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(idNumber, forKey: .idNumber)
        try c.encode(personRef, forKey: .personRef)
        try c.encode(events, forKey: .events)
        try c.encodeIfPresent(horizon, forKey: .horizon)
        try c.encodeIfPresent(lastEvaluatedAt, forKey: .lastEvaluatedAt)
        try c.encode(foldedCount, forKey: .foldedCount)
        try c.encodeIfPresent(lastResidence, forKey: .lastResidence)
        try c.encode(alerts, forKey: .alerts)
        try c.encode(retracted, forKey: .retracted)
        try c.encodeIfPresent(nextDeadline, forKey: .nextDeadline)
        try c.encodeIfPresent(checkpoint, forKey: .checkpoint)
    }
}

// MARK: - Writer

struct PersonStateWriter {
    private var body: [UInt8] = []
    private var table: [String] = []
    /// Open-addressing index into `table` by FNV-1a of the UTF-8 (-1 = empty); a few dozen
    /// strings per state, so this is much cheaper than a `Dictionary` with SipHash.
    private var slots: [Int32]
    private var hashes: [UInt64] = []

    init() {
        body.reserveCapacity(512)
        table.reserveCapacity(32)
        hashes.reserveCapacity(32)
        slots = Array(repeating: -1, count: 64)
    }

    private static func fnv1a(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { u in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in u { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return h
        }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (i, h) in hashes.enumerated() {
            var j = Int(truncatingIfNeeded: h) & mask
            while slots[j] >= 0 { j = (j + 1) & mask }
            slots[j] = Int32(i)
        }
    }

    mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        var size = 2 + 5 + body.count
        for s in table { size += s.utf8.count + 2 }
        out.reserveCapacity(size)
        out.append(UInt8(ascii: "X"))
        out.append(PersonStateReader.currentVersion)
        Self.varint(UInt64(table.count), into: &out)
        for var s in table {
            s.withUTF8 { u in
                Self.varint(UInt64(u.count), into: &out)
                out.append(contentsOf: u)
            }
        }
        out.append(contentsOf: body)
        return out
    }

    static func varint(_ v: UInt64, into out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    mutating func byte(_ b: UInt8) { body.append(b) }
    mutating func varint(_ v: UInt64) { Self.varint(v, into: &body) }
    mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func string(_ s: String) {
        let h = Self.fnv1a(s)
        let mask = slots.count - 1
        var j = Int(truncatingIfNeeded: h) & mask
        while true {
            let i = Int(slots[j])
            if i < 0 { break }
            if hashes[i] == h && table[i] == s {
                varint(UInt64(i))
                return
            }
            j = (j + 1) & mask
        }
        let i = table.count
        table.append(s)
        hashes.append(h)
        slots[j] = Int32(i)
        varint(UInt64(i))
        if table.count * 2 > slots.count { grow() }
    }

    mutating func optionalString(_ s: String?) {
        if let s {
            byte(1)
            string(s)
        } else {
            byte(0)
        }
    }

    /// An enum as its one-byte `StableTag` (never its position in `allCases`).
    mutating func tag(_ e: some StableTag) {
        byte(e.stableTag)
    }

    mutating func date(_ d: LocalDate) { signed(Int64(d.daysSinceEpoch)) }
    mutating func instant(_ t: Timestamp) { signed(t.millisecondsSinceEpoch) }
    mutating func optionalInstant(_ t: Timestamp?) {
        if let t {
            byte(1)
            instant(t)
        } else {
            byte(0)
        }
    }

    mutating func residence(_ r: Residence) {
        string(r.houseId)
        string(r.community.code)
        string(r.community.name)
        if let street = r.street {
            byte(1)
            string(street.code)
            string(street.name)
        } else {
            byte(0)
        }
    }

    mutating func residenceMark(_ mark: ResidenceMark?) {
        if let mark {
            byte(1)
            residence(mark.residence)
            evidence(mark.evidence)
        } else {
            byte(0)
        }
    }

    mutating func evidence(_ e: AlertEvidence) {
        tag(e.topic)
        string(e.recordId)
    }

    mutating func child(_ c: ChildRef) {
        optionalString(c.idNumber)
        date(c.birthDate)
        tag(c.sex)
    }

    mutating func event(_ e: PersonEvent) {
        string(e.eventId)
        tag(e.source)
        string(e.recordId)
        instant(e.occurredAt)
        tag(e.role)
        string(e.person.name)
        tag(e.person.sex)
        date(e.person.birthDate)
        string(e.person.hukouRegion)
        if let r = e.residence {
            byte(1)
            residence(r)
        } else {
            byte(0)
        }
        tag(e.fact.kind)
        switch e.fact {
        case .residencePermit(let f):
            tag(f.event)
            string(f.permitNo)
            date(f.arrivalDate)
            date(f.issuedAt)
            date(f.validUntil)
        case .marriageRegistration(let f):
            tag(f.event)
            string(f.certificateNo)
            date(f.registeredOn)
        case .businessLicense(let f):
            tag(f.event)
            string(f.licenseNo)
            date(f.issuedOn)
        case .schoolEnrollment(let f):
            tag(f.event)
            if let relation = f.relation {
                byte(1)
                tag(relation)
            } else {
                byte(0)
            }
            child(f.child)
            string(f.schoolCode)
            tag(f.schoolLevel)
            date(f.enrolledOn)
        case .certificate(let f):
            tag(f.event)
            string(f.certificateNo)
            tag(f.maritalStatus)
            varint(UInt64(f.children.count))
            for c in f.children { child(c) }
            date(f.issuedOn)
            date(f.validUntil)
            if let v = f.verifiedOn {
                byte(1)
                date(v)
            } else {
                byte(0)
            }
        }
    }

    mutating func alerts(_ alerts: [String: AlertMessage]) {
        varint(UInt64(alerts.count))
        if alerts.count == 1 {
            alert(alerts.first!.value)
        } else {
            for m in alerts.values.sorted(by: { $0.alertId < $1.alertId }) { alert(m) }
        }
    }

    mutating func alert(_ m: AlertMessage) {
        string(m.alertId)
        tag(m.type)
        tag(m.status)
        tag(m.audience)
        string(m.community.code)
        string(m.community.name)
        if let street = m.street {
            byte(1)
            string(street.code)
            string(street.name)
        } else {
            byte(0)
        }
        string(m.subject.personRef)
        string(m.subject.maskedId)
        string(m.subject.maskedName)
        string(m.reason)
        varint(UInt64(m.evidence.count))
        for e in m.evidence { evidence(e) }
        instant(m.raisedAt)
        instant(m.dueBy)
        optionalInstant(m.closedAt)
        if let closer = m.closedBy {
            byte(1)
            tag(closer.kind)
            if let topic = closer.topic {
                byte(1)
                tag(topic)
            } else {
                byte(0)
            }
            optionalString(closer.recordId)
            optionalString(closer.office)
        } else {
            byte(0)
        }
    }
}

// MARK: - Reader

struct PersonStateReader {
    private let bytes: [UInt8]
    private var pos = 0
    private var table: [String] = []

    /// The format version `PersonStateWriter` writes.
    static let currentVersion: UInt8 = 2
    /// The format version of the bytes being read.
    let version: UInt8

    init(_ bytes: [UInt8]) throws(PersonStateDecodingError) {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "X"), (1...Self.currentVersion).contains(bytes[1]) else {
            throw .unknownFormat
        }
        self.version = bytes[1]
        self.bytes = bytes
        pos = 2
        let n = try count()
        table.reserveCapacity(n)
        for _ in 0..<n {
            let len = try count()
            guard len <= bytes.count - pos else { throw .malformed("string past the end") }
            let start = pos
            table.append(bytes.withUnsafeBufferPointer { String(decoding: $0[start..<(start + len)], as: UTF8.self) })
            pos += len
        }
    }

    var atEnd: Bool { pos == bytes.count }

    mutating func byte() throws(PersonStateDecodingError) -> UInt8 {
        guard pos < bytes.count else { throw .malformed("unexpected end") }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func varint() throws(PersonStateDecodingError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw .malformed("varint too long") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    mutating func count() throws(PersonStateDecodingError) -> Int {
        let v = try varint()
        guard v <= UInt64(bytes.count) else { throw .malformed("count beyond the input") }
        return Int(v)
    }

    mutating func signed() throws(PersonStateDecodingError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func flag() throws(PersonStateDecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw .malformed("bad flag")
        }
    }

    mutating func string() throws(PersonStateDecodingError) -> String {
        let i = try varint()
        guard i < UInt64(table.count) else { throw .malformed("string index out of range") }
        return table[Int(i)]
    }

    mutating func optionalString() throws(PersonStateDecodingError) -> String? {
        try flag() ? try string() : nil
    }

    /// An enum from its one-byte `StableTag`; a tag this build does not know is malformed input.
    mutating func tag<E: StableTag>(_: E.Type = E.self) throws(PersonStateDecodingError) -> E {
        let b = try byte()
        guard let e = E(stableTag: b) else { throw .malformed("unknown \(E.stableTagTypeName) tag \(b)") }
        return e
    }

    mutating func date() throws(PersonStateDecodingError) -> LocalDate {
        let d = try signed()
        guard abs(d) < 4_000_000 else { throw .malformed("date out of range") }
        return LocalDate(daysSinceEpoch: Int(d))
    }

    mutating func instant() throws(PersonStateDecodingError) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: try signed())
    }

    mutating func optionalInstant() throws(PersonStateDecodingError) -> Timestamp? {
        try flag() ? try instant() : nil
    }

    mutating func residence() throws(PersonStateDecodingError) -> Residence {
        let houseId = try string()
        let community = CommunityRef(code: try string(), name: try string())
        let street = try flag() ? StreetRef(code: try string(), name: try string()) : nil
        return Residence(houseId: houseId, community: community, street: street)
    }

    mutating func residenceMark() throws(PersonStateDecodingError) -> ResidenceMark? {
        guard try byte() == 1 else { return nil }
        return ResidenceMark(residence: try residence(), evidence: try evidence())
    }

    mutating func evidence() throws(PersonStateDecodingError) -> AlertEvidence {
        AlertEvidence(topic: try tag(), recordId: try string())
    }

    mutating func child() throws(PersonStateDecodingError) -> ChildRef {
        ChildRef(idNumber: try optionalString(), birthDate: try date(), sex: try tag())
    }

    mutating func event(idNumber: String) throws(PersonStateDecodingError) -> PersonEvent {
        let eventId = try string()
        let source: Topic = try tag()
        let recordId = try string()
        let occurredAt = try instant()
        let role: PersonRole = try tag()
        let person = Person(
            idNumber: idNumber, name: try string(), sex: try tag(), birthDate: try date(), hukouRegion: try string())
        let residence = try flag() ? try self.residence() : nil
        let fact: PersonEvent.Fact
        switch try tag(PersonEvent.Fact.Kind.self) {
        case .residencePermit:
            fact = .residencePermit(
                ResidencePermitFact(
                    event: try tag(), permitNo: try string(), arrivalDate: try date(), issuedAt: try date(),
                    validUntil: try date()))
        case .marriageRegistration:
            fact = .marriageRegistration(
                MarriageRegistrationFact(event: try tag(), certificateNo: try string(), registeredOn: try date()))
        case .businessLicense:
            fact = .businessLicense(BusinessLicenseFact(event: try tag(), licenseNo: try string(), issuedOn: try date()))
        case .schoolEnrollment:
            let event: SchoolEnrollmentFact.Event = try tag()
            let relation: SchoolEnrollmentFact.Relation? = try flag() ? try tag() : nil
            fact = .schoolEnrollment(
                SchoolEnrollmentFact(
                    event: event, relation: relation, child: try child(), schoolCode: try string(),
                    schoolLevel: try tag(), enrolledOn: try date()))
        case .certificate:
            let event: CertificateFact.Event = try tag()
            let number = try string()
            let marital: CertificateFact.MaritalStatus = try tag()
            let n = try count()
            var children: [ChildRef] = []
            children.reserveCapacity(n)
            for _ in 0..<n { children.append(try child()) }
            fact = .certificate(
                CertificateFact(
                    event: event, certificateNo: number, maritalStatus: marital, children: children,
                    issuedOn: try date(), validUntil: try date(), verifiedOn: try flag() ? try date() : nil))
        }
        return PersonEvent(
            eventId: eventId, source: source, recordId: recordId, occurredAt: occurredAt, role: role, person: person,
            residence: residence, fact: fact)
    }

    mutating func alerts() throws(PersonStateDecodingError) -> [String: AlertMessage] {
        let n = try count()
        var out: [String: AlertMessage] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n {
            let m = try alert()
            out[m.alertId] = m
        }
        guard out.count == n else { throw .malformed("duplicate alert id") }
        return out
    }

    mutating func alert() throws(PersonStateDecodingError) -> AlertMessage {
        let alertId = try string()
        let type: AlertType = try tag()
        let status: AlertStatus = try tag()
        let audience: AlertAudience = try tag()
        let community = CommunityRef(code: try string(), name: try string())
        let street = try flag() ? StreetRef(code: try string(), name: try string()) : nil
        let subject = AlertSubject(personRef: try string(), maskedId: try string(), maskedName: try string())
        let reason = try string()
        let n = try count()
        var evidence: [AlertEvidence] = []
        evidence.reserveCapacity(n)
        for _ in 0..<n { evidence.append(try self.evidence()) }
        let raisedAt = try instant()
        let dueBy = try instant()
        let closedAt = try optionalInstant()
        var closedBy: AlertCloser?
        if try flag() {
            let kind: AlertCloser.Kind = try tag()
            let topic: Topic? = try flag() ? try tag() : nil
            closedBy = AlertCloser(kind: kind, topic: topic, recordId: try optionalString(), office: try optionalString())
        }
        return AlertMessage(
            alertId: alertId, type: type, status: status, audience: audience, community: community, street: street,
            subject: subject, reason: reason, evidence: evidence, raisedAt: raisedAt, dueBy: dueBy, closedAt: closedAt,
            closedBy: closedBy)
    }
}
