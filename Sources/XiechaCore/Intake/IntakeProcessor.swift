import Crypto

/// The outcome of one department record.
public enum IntakeResult: Sendable, Hashable {
    /// One event per person the record names, in record order.
    case events([PersonEvent])
    /// The record goes to `xiecha.dead-letters.v1`; `recordId` when it could be read.
    case deadLetter(DeadLetterReason, recordId: String?)
}

/// Intake's pure core: validate, normalise, resolve the address, fan out to person events.
/// The Kafka worker and `xiecha simulate` wrap it.
public struct IntakeProcessor: Sendable {
    public init() {}

    /// Processes one message of a department topic.
    /// - Parameters:
    ///   - value: the Kafka message value (`nil` for a null value).
    ///   - timestamp: event time, becomes `PersonEvent.occurredAt`.
    public func process(topic: Topic, value: [UInt8]?, timestamp: Timestamp, directory: AddressDirectory)
        -> IntakeResult
    {
        guard let value else { return process(topic: topic, bytes: nil, timestamp: timestamp, directory: directory) }
        return value.withUnsafeBytes { process(topic: topic, bytes: $0, timestamp: timestamp, directory: directory) }
    }

    /// The same, on borrowed bytes (e.g. straight from a librdkafka message, without a copy).
    public func process(
        topic: Topic, bytes: UnsafeRawBufferPointer?, timestamp: Timestamp, directory: AddressDirectory
    ) -> IntakeResult {
        let root: JSONValue
        do {
            root = try RecordDecoder.parseRoot(bytes.map { $0.bindMemory(to: UInt8.self) })
        } catch {
            return .deadLetter(error, recordId: nil)
        }
        let record: DepartmentRecord
        do {
            record = try RecordDecoder.decode(topic: topic, json: root)
        } catch {
            return .deadLetter(error, recordId: RecordDecoder.bestEffortRecordId(root))
        }
        return .events(events(for: record, timestamp: timestamp, directory: directory))
    }

    /// The fan-out of a valid record: permit holder; both marriage parties; licence holder;
    /// child then each guardian; certificate holder, then the spouse it names (DESIGN.md: one
    /// event per person the record names).
    public func events(for record: DepartmentRecord, timestamp: Timestamp, directory: AddressDirectory)
        -> [PersonEvent]
    {
        let topic = record.topic
        func event(_ role: PersonRole, _ p: PersonRecord, _ residence: Residence?, _ fact: PersonEvent.Fact)
            -> PersonEvent
        {
            PersonEvent(
                eventId: PersonEvent.makeEventId(
                    source: topic, recordId: record.recordId, role: role, idNumber: p.idNumber,
                    content: PersonEvent.contentBytes(occurredAt: timestamp, person: p.person, residence: residence, fact: fact)),
                source: topic, recordId: record.recordId, occurredAt: timestamp, role: role, person: p.person,
                residence: residence, fact: fact)
        }
        switch record {
        case .residencePermit(let r):
            let fact = ResidencePermitFact(
                event: r.event, permitNo: r.permitNo, arrivalDate: r.arrivalDate, issuedAt: r.issuedAt,
                validUntil: r.validUntil)
            return [
                event(.permitHolder, r.person, directory.resolve(houseId: r.address.houseId), .residencePermit(fact))
            ]
        case .marriageRegistration(let r):
            let fact = PersonEvent.Fact.marriageRegistration(
                MarriageRegistrationFact(event: r.event, certificateNo: r.certificateNo, registeredOn: r.registeredOn))
            return r.parties.map { event(.marriageParty, $0, nil, fact) }
        case .businessLicense(let r):
            let fact = BusinessLicenseFact(event: r.event, licenseNo: r.licenseNo, issuedOn: r.issuedOn)
            return [event(.licenseHolder, r.holder, directory.resolve(houseId: r.address.houseId), .businessLicense(fact))]
        case .schoolEnrollment(let r):
            let residence = directory.resolve(houseId: r.address.houseId)
            let child = ChildRef(idNumber: r.child.idNumber, birthDate: r.child.birthDate, sex: r.child.sex)
            func fact(_ relation: SchoolEnrollmentFact.Relation?) -> PersonEvent.Fact {
                .schoolEnrollment(
                    SchoolEnrollmentFact(
                        event: r.event, relation: relation, child: child, schoolCode: r.school.code,
                        schoolLevel: r.school.level, enrolledOn: r.enrolledOn))
            }
            var out = [event(.child, r.child, residence, fact(nil))]
            out.reserveCapacity(1 + r.guardians.count)
            for g in r.guardians { out.append(event(.guardian, g.person, residence, fact(g.relation))) }
            return out
        case .certificate(let r):
            let fact = CertificateFact(
                event: r.event, certificateNo: r.certificateNo, maritalStatus: r.maritalStatus, children: r.children,
                issuedOn: r.issuedOn, validUntil: r.validUntil, verifiedOn: r.verifiedOn)
            let holder = event(.certificateHolder, r.holder, nil, .certificate(fact))
            guard let spouse = r.spouse else { return [holder] }
            return [holder, event(.spouse, spouse, nil, .certificate(fact))]
        }
    }

    /// The Kafka key for a record per DESIGN.md (`xiecha publish`): permitNo, certificateNo,
    /// licenseNo, recordId, houseId; a person event's key is the person's ID number, an alert's
    /// its community code (street code for street-audience alerts). Width-normalised and
    /// trimmed. `nil` for a null value (a tombstone has no key in its value) and for dead letters.
    /// Only the key field is checked, so an otherwise invalid record still gets its key and
    /// can be published to show up as a dead letter downstream.
    public static func recordKey(topic: Topic, value: [UInt8]?) throws(DeadLetterReason) -> String? {
        guard let value else { return nil }
        let root = try value.withUnsafeBufferPointer { (b) throws(DeadLetterReason) -> JSONValue in
            try RecordDecoder.parseRoot(b)
        }
        let r = try FieldReader(root: root)
        switch topic {
        case .residencePermits: return try r.code("permitNo")
        case .marriageRegistrations, .certificates: return try r.code("certificateNo")
        case .businessLicenses: return try r.code("licenseNo").uppercased()
        case .schoolEnrollments: return try r.code("recordId")
        case .addressDirectory: return try r.code("houseId")
        case .personEvents:
            let raw = try r.object("person").string("idNumber")
            do {
                return try IDNumber(validating: raw).value
            } catch {
                throw RecordDecoder.reason(for: error, path: "person.idNumber")
            }
        case .alerts:
            if try r.optionalString("audience") == AlertAudience.street.rawValue {
                return try r.optionalObject("street")?.code("code") ?? CommunityRef.unassigned.code
            }
            return try r.object("community").code("code")
        case .deadLetters:
            return nil
        }
    }
}

extension PersonEvent {
    /// Deterministic event id: the first 128 bits of SHA-256 over topic, recordId, role, the
    /// person's normalised ID number and `content` (what the record says: `contentBytes`), as 32
    /// lowercase hex characters. The ID number is hashed, never embedded.
    ///
    /// The content is part of the id because departments reuse a `recordId` for a later record
    /// about the same thing (an enrolment's withdrawal, a permit's renewal: edu records are even
    /// keyed by it), and may send a record again later (enrolled, withdrawn, enrolled again);
    /// such a record must be applied, not taken for a replay. A replay — the same Kafka message
    /// read again, or the same simulate line twice — has the same content and timestamp, so the
    /// same id.
    public static func makeEventId(
        source: Topic, recordId: String, role: PersonRole, idNumber: String, content: [UInt8] = []
    ) -> String {
        var input: [UInt8] = []
        input.reserveCapacity(128 + content.count)
        input.append(contentsOf: "xiecha.person-event.v1\u{0}".utf8)
        input.append(contentsOf: source.rawValue.utf8)
        input.append(0)
        input.append(contentsOf: recordId.utf8)
        input.append(0)
        input.append(contentsOf: role.rawValue.utf8)
        input.append(0)
        input.append(contentsOf: idNumber.utf8)
        if !content.isEmpty {
            input.append(0)
            input.append(contentsOf: content)
        }
        return Hex.lowercase(SHA256.hash(data: input).prefix(16))
    }

    /// What an event says, as unambiguous bytes for its id: its timestamp, the person's other
    /// fields, the house and every field of the fact (not the resolved community, which depends
    /// on the directory at the time).
    public static func contentBytes(occurredAt: Timestamp, person: Person, residence: Residence?, fact: Fact) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(160)
        withUnsafeBytes(of: occurredAt.millisecondsSinceEpoch.littleEndian) { b.append(contentsOf: $0) }
        func text(_ s: String) {
            b.append(contentsOf: s.utf8)
            b.append(0)
        }
        func date(_ d: LocalDate?) {
            guard let d else { return text("-") }
            withUnsafeBytes(of: Int32(truncatingIfNeeded: d.daysSinceEpoch).littleEndian) { b.append(contentsOf: $0) }
        }
        text(person.name)
        text(person.sex.rawValue)
        date(person.birthDate)
        text(person.hukouRegion)
        text(residence?.houseId ?? "-")
        switch fact {
        case .residencePermit(let f):
            text("permit")
            text(f.event.rawValue)
            text(f.permitNo)
            date(f.arrivalDate)
            date(f.issuedAt)
            date(f.validUntil)
        case .marriageRegistration(let f):
            text("marriage")
            text(f.event.rawValue)
            text(f.certificateNo)
            date(f.registeredOn)
        case .businessLicense(let f):
            text("licence")
            text(f.event.rawValue)
            text(f.licenseNo)
            date(f.issuedOn)
        case .schoolEnrollment(let f):
            text("enrolment")
            text(f.event.rawValue)
            text(f.relation?.rawValue ?? "-")
            text(f.child.idNumber ?? "-")
            date(f.child.birthDate)
            text(f.child.sex.rawValue)
            text(f.schoolCode)
            text(f.schoolLevel.rawValue)
            date(f.enrolledOn)
        case .certificate(let f):
            text("certificate")
            text(f.event.rawValue)
            text(f.certificateNo)
            text(f.maritalStatus.rawValue)
            withUnsafeBytes(of: Int32(truncatingIfNeeded: f.children.count).littleEndian) { b.append(contentsOf: $0) }
            for c in f.children {
                text(c.idNumber ?? "-")
                date(c.birthDate)
                text(c.sex.rawValue)
            }
            date(f.issuedOn)
            date(f.validUntil)
            date(f.verifiedOn)
        }
        return b
    }
}
