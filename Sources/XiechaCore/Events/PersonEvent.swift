/// The canonical, normalised statement one department record makes about one person.
///
/// Intake workers emit one `PersonEvent` per person a record names, keyed by the person's ID
/// number, to `xiecha.person-events.v1`, so every fact about one person reaches the crosscheck
/// worker on one partition, in order. The crosscheck rules read nothing else.
///
/// CONTRACT between intake (records → events) and crosscheck (events → alerts). Change it only
/// together with `schemas/xiecha.person-events.v1.schema.json`.
public struct PersonEvent: Sendable, Hashable, Codable {
    /// Deterministic id: the same source record and person always give the same id, so a
    /// replayed record is recognised as already processed (see `PersonEvent.makeEventId`).
    public var eventId: String
    /// The department topic the record came from.
    public var source: Topic
    /// The source record's `recordId`.
    public var recordId: String
    /// Event time: the source record's timestamp (Kafka message timestamp, or the simulate input line's).
    public var occurredAt: Timestamp
    /// What the record says this person is (permit holder, party to a marriage, …).
    public var role: PersonRole
    /// The person, normalised (ID upper-case, half-width; name trimmed and width-normalised).
    public var person: Person
    /// Where the record places the person, resolved through the address directory;
    /// `nil` when the record carries no address (marriage registrations, certificates).
    public var residence: Residence?
    /// The department-specific facts the rules need.
    public var fact: Fact

    public init(
        eventId: String, source: Topic, recordId: String, occurredAt: Timestamp, role: PersonRole,
        person: Person, residence: Residence?, fact: Fact
    ) {
        self.eventId = eventId
        self.source = source
        self.recordId = recordId
        self.occurredAt = occurredAt
        self.role = role
        self.person = person
        self.residence = residence
        self.fact = fact
    }
}

/// The role a person plays in the record that named them.
public enum PersonRole: String, Sendable, Hashable, Codable, CaseIterable {
    case permitHolder = "permit_holder"
    case marriageParty = "marriage_party"
    case licenseHolder = "license_holder"
    case child
    case guardian
    case certificateHolder = "certificate_holder"
    /// The spouse a certificate names: the event carries her or his name and details only, the
    /// certificate is the holder's (the state encoding stores each role by its stable tag, `StableTag.swift`).
    case spouse
}

/// A person as departments describe them (DESIGN.md "A `person` object").
public struct Person: Sendable, Hashable, Codable {
    /// 18-character GB 11643 ID number, normalised (upper-case `X`, half-width).
    public var idNumber: String
    public var name: String
    public var sex: Sex
    public var birthDate: LocalDate
    /// Registered household region (6 digits); defaults to the ID's first 6 digits.
    public var hukouRegion: String

    public init(idNumber: String, name: String, sex: Sex, birthDate: LocalDate, hukouRegion: String) {
        self.idNumber = idNumber
        self.name = name
        self.sex = sex
        self.birthDate = birthDate
        self.hukouRegion = hukouRegion
    }
}

public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    case female = "F"
    case male = "M"
}

/// The house a record places a person in, and the offices responsible for it.
public struct Residence: Sendable, Hashable, Codable {
    public var houseId: String
    /// Community office; `CommunityRef.unassigned` when the house is not in the address directory.
    public var community: CommunityRef
    /// Street office; `nil` when the house is unknown.
    public var street: StreetRef?

    public init(houseId: String, community: CommunityRef, street: StreetRef?) {
        self.houseId = houseId
        self.community = community
        self.street = street
    }
}

/// A community office (社区居委会): 12-digit code, or `unassigned`.
public struct CommunityRef: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
    /// The jurisdiction's queue for houses missing from the address directory (DESIGN.md "Rules").
    public static let unassigned = CommunityRef(code: "unassigned", name: "未分配")
    public var isUnassigned: Bool { code == CommunityRef.unassigned.code }
}

/// A street office (街道办事处): 9-digit code.
public struct StreetRef: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

extension PersonEvent {
    /// The department-specific part of a person event. Encoded as an object with a `kind`
    /// discriminator (`residencePermit`, `marriageRegistration`, …) and the case's fields.
    public enum Fact: Sendable, Hashable {
        case residencePermit(ResidencePermitFact)
        case marriageRegistration(MarriageRegistrationFact)
        case businessLicense(BusinessLicenseFact)
        case schoolEnrollment(SchoolEnrollmentFact)
        case certificate(CertificateFact)
    }
}

/// `police.residence-permits.v1`, role `permitHolder`.
public struct ResidencePermitFact: Sendable, Hashable, Codable {
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable { case registered, renewed, cancelled }
    public var event: Event
    public var permitNo: String
    public var arrivalDate: LocalDate
    public var issuedAt: LocalDate
    public var validUntil: LocalDate
    public init(event: Event, permitNo: String, arrivalDate: LocalDate, issuedAt: LocalDate, validUntil: LocalDate) {
        self.event = event
        self.permitNo = permitNo
        self.arrivalDate = arrivalDate
        self.issuedAt = issuedAt
        self.validUntil = validUntil
    }
}

/// `civil.marriage-registrations.v1`, role `marriageParty` (one event per party).
public struct MarriageRegistrationFact: Sendable, Hashable, Codable {
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable { case marriage, divorce }
    public var event: Event
    public var certificateNo: String
    public var registeredOn: LocalDate
    public init(event: Event, certificateNo: String, registeredOn: LocalDate) {
        self.event = event
        self.certificateNo = certificateNo
        self.registeredOn = registeredOn
    }
}

/// `market.business-licenses.v1`, role `licenseHolder`.
public struct BusinessLicenseFact: Sendable, Hashable, Codable {
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable { case issued, changed, revoked }
    public var event: Event
    public var licenseNo: String
    public var issuedOn: LocalDate
    public init(event: Event, licenseNo: String, issuedOn: LocalDate) {
        self.event = event
        self.licenseNo = licenseNo
        self.issuedOn = issuedOn
    }
}

/// `edu.school-enrollments.v1`: one event for the child (role `child`) and one per guardian
/// (role `guardian`, with `relation`). Both carry the child's identifying facts so the
/// crosscheck can match the child against the mother's certificate.
public struct SchoolEnrollmentFact: Sendable, Hashable, Codable {
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable { case enrolled, withdrawn }
    public enum Relation: String, Sendable, Hashable, Codable, CaseIterable { case mother, father, guardian }
    public enum SchoolLevel: String, Sendable, Hashable, Codable, CaseIterable { case kindergarten, primary, junior }
    public var event: Event
    /// Set on guardian events: how the guardian relates to the child.
    public var relation: Relation?
    public var child: ChildRef
    public var schoolCode: String
    public var schoolLevel: SchoolLevel
    public var enrolledOn: LocalDate
    public init(
        event: Event, relation: Relation?, child: ChildRef, schoolCode: String, schoolLevel: SchoolLevel,
        enrolledOn: LocalDate
    ) {
        self.event = event
        self.relation = relation
        self.child = child
        self.schoolCode = schoolCode
        self.schoolLevel = schoolLevel
        self.enrolledOn = enrolledOn
    }
}

/// A child as a certificate or an enrolment names it: matched on `idNumber` when both
/// sides have one, else on `birthDate` + `sex`.
public struct ChildRef: Sendable, Hashable, Codable {
    public var idNumber: String?
    public var birthDate: LocalDate
    public var sex: Sex
    public init(idNumber: String?, birthDate: LocalDate, sex: Sex) {
        self.idNumber = idNumber
        self.birthDate = birthDate
        self.sex = sex
    }
}

/// `health.marriage-childbearing-certificates.v1`, role `certificateHolder`.
public struct CertificateFact: Sendable, Hashable, Codable {
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable { case issued, renewed, revoked, verified }
    public enum MaritalStatus: String, Sendable, Hashable, Codable, CaseIterable { case unmarried, married, divorced, widowed }
    public var event: Event
    public var certificateNo: String
    public var maritalStatus: MaritalStatus
    public var children: [ChildRef]
    public var issuedOn: LocalDate
    public var validUntil: LocalDate
    public var verifiedOn: LocalDate?
    public init(
        event: Event, certificateNo: String, maritalStatus: MaritalStatus, children: [ChildRef], issuedOn: LocalDate,
        validUntil: LocalDate, verifiedOn: LocalDate?
    ) {
        self.event = event
        self.certificateNo = certificateNo
        self.maritalStatus = maritalStatus
        self.children = children
        self.issuedOn = issuedOn
        self.validUntil = validUntil
        self.verifiedOn = verifiedOn
    }
}
