/// Orders events in event time: `(occurredAt, eventId)`. Every fold and every "latest" choice
/// in the rules uses this order, never arrival order.
public struct EventKey: Sendable, Hashable, Codable, Comparable {
    public var occurredAt: Timestamp
    public var eventId: String

    public init(occurredAt: Timestamp, eventId: String) {
        self.occurredAt = occurredAt
        self.eventId = eventId
    }

    public init(_ event: PersonEvent) { self.init(occurredAt: event.occurredAt, eventId: event.eventId) }

    public static func < (lhs: EventKey, rhs: EventKey) -> Bool {
        lhs.occurredAt != rhs.occurredAt ? lhs.occurredAt < rhs.occurredAt : lhs.eventId < rhs.eventId
    }
}

/// A residence permit as its events (folded in event time) describe it.
public struct PermitRecord: Sendable, Hashable, Codable {
    public var permitNo: String
    public var arrivalDate: LocalDate
    public var issuedAt: LocalDate
    public var validUntil: LocalDate
    /// The latest event was `cancelled`.
    public var cancelled: Bool
    public var residence: Residence?
    /// Whether the permit's latest event put it in another house than its event before (or is
    /// its first): a move is a permit changing house.
    public var houseChanged: Bool = true
    /// The latest event about this permit.
    public var last: EventKey
    public var evidence: AlertEvidence

    /// Live on `day`: not cancelled and `validUntil` ≥ `day`.
    public func isLive(on day: LocalDate) -> Bool { !cancelled && validUntil >= day }
}

/// A business licence held by the person.
public struct LicenceRecord: Sendable, Hashable, Codable {
    public var licenseNo: String
    public var issuedOn: LocalDate
    /// The latest event was `revoked`.
    public var revoked: Bool
    public var residence: Residence?
    public var last: EventKey
    public var evidence: AlertEvidence
}

/// A school enrolment the person appears in, as guardian or as the child.
public struct EnrolmentRecord: Sendable, Hashable, Codable {
    public var child: ChildRef
    public var schoolCode: String
    /// Set when the person is a guardian.
    public var relation: SchoolEnrollmentFact.Relation?
    public var enrolledOn: LocalDate
    /// The latest event was `withdrawn`.
    public var withdrawn: Bool
    public var residence: Residence?
    public var last: EventKey
    public var evidence: AlertEvidence
}

/// A marriage-and-childbearing certificate held by the person.
public struct CertificateOnFile: Sendable, Hashable, Codable {
    public var certificateNo: String
    public var maritalStatus: CertificateFact.MaritalStatus
    public var children: [ChildRef]
    public var issuedOn: LocalDate
    public var validUntil: LocalDate
    /// The latest event was `revoked`.
    public var revoked: Bool
    /// Some event was `verified`.
    public var verified: Bool
    public var last: EventKey
    public var evidence: AlertEvidence

    /// Valid on `day` (DESIGN.md): issued, renewed or verified, not revoked, `validUntil` ≥ `day`.
    public func isValid(on day: LocalDate) -> Bool { !revoked && validUntil >= day }

    /// Whether the certificate lists `child`: on `idNumber` when both sides have one, else on
    /// `birthDate` + `sex`.
    public func lists(_ child: ChildRef) -> Bool {
        children.contains { listed in
            if let a = listed.idNumber, let b = child.idNumber { return a == b }
            return listed.birthDate == child.birthDate && listed.sex == child.sex
        }
    }
}

/// A civil-affairs marriage or divorce registration naming the person.
public struct RegistrationRecord: Sendable, Hashable, Codable {
    public var certificateNo: String
    public var event: MarriageRegistrationFact.Event
    public var registeredOn: LocalDate
    public var last: EventKey
    public var evidence: AlertEvidence
}

/// The name one department gives the person (its latest record).
public struct SourcedName: Sendable, Hashable, Codable {
    public var name: String
    public var last: EventKey
    public var evidence: AlertEvidence
}

/// Everything the rules know about one person: the fold of her events in event-time order.
///
/// Every field is "last writer wins" by `EventKey`, so the fold of a set of events is the same
/// whatever order they arrived in (the engine folds them sorted; see `PersonState`).
public struct PersonFacts: Sendable, Hashable, Codable {
    /// The person as the latest event describes her.
    public var person: Person?
    public var personKey: EventKey?
    /// By `permitNo`.
    public var permits: [String: PermitRecord] = [:]
    /// By `licenseNo`.
    public var licences: [String: LicenceRecord] = [:]
    /// Enrolments where she is a guardian, by `childKey|schoolCode`.
    public var guardianEnrolments: [String: EnrolmentRecord] = [:]
    /// Enrolments where she is the child, by `schoolCode`.
    public var ownEnrolments: [String: EnrolmentRecord] = [:]
    /// By `certificateNo`.
    public var certificates: [String: CertificateOnFile] = [:]
    /// Marriage registrations, by the registration's `certificateNo`.
    public var registrations: [String: RegistrationRecord] = [:]
    /// By source topic: the latest name each department gives.
    public var namesBySource: [Topic: SourcedName] = [:]

    public init() {}

    /// The facts the given events (in timeline order) add up to.
    public init(folding events: ArraySlice<PersonEvent>) {
        for e in events { fold(e) }
    }

    /// A stable key for a child: its ID number, else birth date + sex.
    public static func childKey(_ child: ChildRef) -> String {
        child.idNumber ?? "\(child.birthDate)+\(child.sex.rawValue)"
    }

    /// Folds one event in. Callers fold in `EventKey` order; a record's fields are replaced by
    /// the newer event's, so the result depends only on the set of events.
    public mutating func fold(_ e: PersonEvent) {
        let key = EventKey(e)
        let evidence = AlertEvidence(topic: e.source, recordId: e.recordId)
        // Who she is (name, sex, birth date, hukou region) comes from records about her; a
        // certificate naming her as someone's spouse only adds that department's name for her.
        if e.role != .spouse, personKey.map({ $0 < key }) ?? true {
            person = e.person
            personKey = key
        }
        if let old = namesBySource[e.source], old.last > key {
        } else {
            namesBySource[e.source] = SourcedName(name: e.person.name, last: key, evidence: evidence)
        }
        switch e.fact {
        case .residencePermit(let f):
            let previous = permits[f.permitNo]
            if let previous, previous.last > key { return }
            // A cancellation without an address keeps the house the permit had.
            let residence = e.residence ?? previous?.residence
            var record = PermitRecord(
                permitNo: f.permitNo, arrivalDate: f.arrivalDate, issuedAt: f.issuedAt, validUntil: f.validUntil,
                cancelled: f.event == .cancelled, residence: residence, last: key, evidence: evidence)
            if let previous { record.houseChanged = previous.residence?.houseId != residence?.houseId }
            permits[f.permitNo] = record
        case .businessLicense(let f):
            let previous = licences[f.licenseNo]
            if let previous, previous.last > key { return }
            licences[f.licenseNo] = LicenceRecord(
                licenseNo: f.licenseNo, issuedOn: f.issuedOn, revoked: f.event == .revoked,
                residence: e.residence ?? previous?.residence, last: key, evidence: evidence)
        case .schoolEnrollment(let f):
            let record = { (previous: EnrolmentRecord?) in
                EnrolmentRecord(
                    child: f.child, schoolCode: f.schoolCode, relation: f.relation, enrolledOn: f.enrolledOn,
                    withdrawn: f.event == .withdrawn, residence: e.residence ?? previous?.residence, last: key,
                    evidence: evidence)
            }
            if e.role == .child {
                let previous = ownEnrolments[f.schoolCode]
                if let previous, previous.last > key { return }
                ownEnrolments[f.schoolCode] = record(previous)
            } else {
                let k = PersonFacts.childKey(f.child) + "|" + f.schoolCode
                let previous = guardianEnrolments[k]
                if let previous, previous.last > key { return }
                guardianEnrolments[k] = record(previous)
            }
        case .certificate(let f):
            // Named as the spouse: her name counts (record_conflict), the certificate is the holder's.
            if e.role == .spouse { return }
            let previous = certificates[f.certificateNo]
            if let previous, previous.last > key { return }
            certificates[f.certificateNo] = CertificateOnFile(
                certificateNo: f.certificateNo, maritalStatus: f.maritalStatus, children: f.children,
                issuedOn: f.issuedOn, validUntil: f.validUntil, revoked: f.event == .revoked,
                verified: f.event == .verified || (previous?.verified ?? false), last: key, evidence: evidence)
        case .marriageRegistration(let f):
            if let old = registrations[f.certificateNo], old.last > key { return }
            registrations[f.certificateNo] = RegistrationRecord(
                certificateNo: f.certificateNo, event: f.event, registeredOn: f.registeredOn, last: key,
                evidence: evidence)
        }
    }

    /// Where she lives now, and the record that says so. Deterministic rule: among permits that are
    /// not cancelled, the one whose latest event is the latest in event time (`EventKey`); if
    /// none, the latest active licence or enrolment; if none, the latest record with any address.
    /// Expiry does not change the house (only records do), so a move always has a record behind it.
    public var currentResidence: (residence: Residence, evidence: AlertEvidence, key: EventKey)? {
        var best: (Residence, AlertEvidence, EventKey)?
        func consider(_ r: Residence?, _ ev: AlertEvidence, _ k: EventKey) {
            guard let r else { return }
            if best.map({ $0.2 < k }) ?? true { best = (r, ev, k) }
        }
        for p in permits.values where !p.cancelled { consider(p.residence, p.evidence, p.last) }
        if best == nil {
            for l in licences.values where !l.revoked { consider(l.residence, l.evidence, l.last) }
            for g in guardianEnrolments.values where !g.withdrawn { consider(g.residence, g.evidence, g.last) }
            for o in ownEnrolments.values where !o.withdrawn { consider(o.residence, o.evidence, o.last) }
        }
        if best == nil {
            for p in permits.values { consider(p.residence, p.evidence, p.last) }
            for l in licences.values { consider(l.residence, l.evidence, l.last) }
            for g in guardianEnrolments.values { consider(g.residence, g.evidence, g.last) }
            for o in ownEnrolments.values { consider(o.residence, o.evidence, o.last) }
        }
        return best.map { (residence: $0.0, evidence: $0.1, key: $0.2) }
    }

    /// The house of her permit: among permits not cancelled, the one whose latest event is the
    /// latest in event time. Moves are judged on this house alone.
    public var permitResidence: (residence: Residence, evidence: AlertEvidence, houseChanged: Bool)? {
        var best: PermitRecord?
        for p in permits.values where !p.cancelled && p.residence != nil {
            if best.map({ $0.last < p.last }) ?? true { best = p }
        }
        return best.map { (residence: $0.residence!, evidence: $0.evidence, houseChanged: $0.houseChanged) }
    }

    /// The certificate the rules look at: among those not revoked, the greatest
    /// `(validUntil, issuedOn, certificateNo)`. If any certificate is valid on a day, this one is.
    public var currentCertificate: CertificateOnFile? {
        greatestCertificate { ($0.validUntil, $0.issuedOn, $0.certificateNo) }
    }

    /// The newest certificate not revoked: the greatest `(issuedOn, validUntil, certificateNo)`.
    /// What the marital-status and children rules read (it is the one that can reflect a later
    /// registration or child), while validity and expiry go by `currentCertificate`.
    public var newestCertificate: CertificateOnFile? {
        greatestCertificate { ($0.issuedOn, $0.validUntil, $0.certificateNo) }
    }

    private func greatestCertificate(
        by key: (CertificateOnFile) -> (LocalDate, LocalDate, String)
    ) -> CertificateOnFile? {
        var best: CertificateOnFile?
        for c in certificates.values where !c.revoked {
            if let b = best, key(b) >= key(c) { continue }
            best = c
        }
        return best
    }

    /// The latest marriage or divorce registration, by `(registeredOn, certificateNo)`.
    public var latestRegistration: RegistrationRecord? {
        registrations.values.max { ($0.registeredOn, $0.certificateNo) < ($1.registeredOn, $1.certificateNo) }
    }
}
