/// The department records of DESIGN.md "Records", as intake holds them after validation and
/// normalisation. `Codable` gives the wire shape (synthesised keys = JSON field names; unknown
/// extra fields are ignored); the intake hot path decodes with `RecordDecoder` instead.

/// A `person` object as departments send it.
public struct PersonRecord: Sendable, Hashable, Codable {
    /// Normalised: half-width, upper-case `X`, checksum-valid, agrees with `birthDate`/`sex`.
    public var idNumber: String
    /// Normalised: width-normalised, trimmed, inner whitespace collapsed.
    public var name: String
    public var sex: Sex
    public var birthDate: LocalDate
    /// As sent (6 digits), or `nil` when absent; `person.hukouRegion` applies the default.
    public var hukouRegion: String?

    public init(idNumber: String, name: String, sex: Sex, birthDate: LocalDate, hukouRegion: String? = nil) {
        self.idNumber = idNumber
        self.name = name
        self.sex = sex
        self.birthDate = birthDate
        self.hukouRegion = hukouRegion
    }

    /// The canonical `Person`, with `hukouRegion` defaulted to the ID's first 6 digits.
    public var person: Person {
        Person(
            idNumber: idNumber, name: name, sex: sex, birthDate: birthDate,
            hukouRegion: hukouRegion ?? String(idNumber.utf8.prefix(6))!)
    }
}

/// An `address` object.
public struct AddressRecord: Sendable, Hashable, Codable {
    /// Key of the address directory, e.g. `421125-001-003-0101`.
    public var houseId: String
    public var text: String
    public init(houseId: String, text: String) {
        self.houseId = houseId
        self.text = text
    }
}

/// `police.residence-permits.v1` (key: `permitNo`).
public struct ResidencePermitRecord: Sendable, Hashable, Codable {
    public var recordId: String
    public var event: ResidencePermitFact.Event
    public var permitNo: String
    public var person: PersonRecord
    public var address: AddressRecord
    public var arrivalDate: LocalDate
    public var issuedAt: LocalDate
    public var validUntil: LocalDate
    public var office: String

    public init(
        recordId: String, event: ResidencePermitFact.Event, permitNo: String, person: PersonRecord,
        address: AddressRecord, arrivalDate: LocalDate, issuedAt: LocalDate, validUntil: LocalDate, office: String
    ) {
        self.recordId = recordId
        self.event = event
        self.permitNo = permitNo
        self.person = person
        self.address = address
        self.arrivalDate = arrivalDate
        self.issuedAt = issuedAt
        self.validUntil = validUntil
        self.office = office
    }
}

/// `civil.marriage-registrations.v1` (key: `certificateNo`).
public struct MarriageRegistrationRecord: Sendable, Hashable, Codable {
    public var recordId: String
    public var event: MarriageRegistrationFact.Event
    public var certificateNo: String
    /// Exactly two, different people.
    public var parties: [PersonRecord]
    public var registeredOn: LocalDate
    public var office: String

    public init(
        recordId: String, event: MarriageRegistrationFact.Event, certificateNo: String, parties: [PersonRecord],
        registeredOn: LocalDate, office: String
    ) {
        self.recordId = recordId
        self.event = event
        self.certificateNo = certificateNo
        self.parties = parties
        self.registeredOn = registeredOn
        self.office = office
    }
}

/// `market.business-licenses.v1` (key: `licenseNo`).
public struct BusinessLicenseRecord: Sendable, Hashable, Codable {
    public var recordId: String
    public var event: BusinessLicenseFact.Event
    /// 18-character unified social credit code (统一社会信用代码, GB 32100), checksum-valid.
    public var licenseNo: String
    public var holder: PersonRecord
    public var businessName: String
    public var address: AddressRecord
    public var issuedOn: LocalDate

    public init(
        recordId: String, event: BusinessLicenseFact.Event, licenseNo: String, holder: PersonRecord,
        businessName: String, address: AddressRecord, issuedOn: LocalDate
    ) {
        self.recordId = recordId
        self.event = event
        self.licenseNo = licenseNo
        self.holder = holder
        self.businessName = businessName
        self.address = address
        self.issuedOn = issuedOn
    }
}

/// A guardian in an enrolment: a `person` object with one extra field, `relation`.
public struct GuardianRecord: Sendable, Hashable, Codable {
    public var person: PersonRecord
    public var relation: SchoolEnrollmentFact.Relation

    public init(person: PersonRecord, relation: SchoolEnrollmentFact.Relation) {
        self.person = person
        self.relation = relation
    }

    private enum CodingKeys: String, CodingKey { case relation }

    public init(from decoder: any Decoder) throws {
        person = try PersonRecord(from: decoder)
        relation = try decoder.container(keyedBy: CodingKeys.self).decode(
            SchoolEnrollmentFact.Relation.self, forKey: .relation)
    }

    public func encode(to encoder: any Encoder) throws {
        try person.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(relation, forKey: .relation)
    }
}

/// The `school` object of an enrolment.
public struct SchoolRecord: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var level: SchoolEnrollmentFact.SchoolLevel
    public init(code: String, name: String, level: SchoolEnrollmentFact.SchoolLevel) {
        self.code = code
        self.name = name
        self.level = level
    }
}

/// `edu.school-enrollments.v1` (key: `recordId`).
public struct SchoolEnrollmentRecord: Sendable, Hashable, Codable {
    public var recordId: String
    public var event: SchoolEnrollmentFact.Event
    public var child: PersonRecord
    public var guardians: [GuardianRecord]
    public var school: SchoolRecord
    public var address: AddressRecord
    public var enrolledOn: LocalDate

    public init(
        recordId: String, event: SchoolEnrollmentFact.Event, child: PersonRecord, guardians: [GuardianRecord],
        school: SchoolRecord, address: AddressRecord, enrolledOn: LocalDate
    ) {
        self.recordId = recordId
        self.event = event
        self.child = child
        self.guardians = guardians
        self.school = school
        self.address = address
        self.enrolledOn = enrolledOn
    }
}

/// `health.marriage-childbearing-certificates.v1` (key: `certificateNo`).
public struct CertificateRecord: Sendable, Hashable, Codable {
    public var recordId: String
    public var event: CertificateFact.Event
    public var certificateNo: String
    public var holder: PersonRecord
    public var maritalStatus: CertificateFact.MaritalStatus
    public var spouse: PersonRecord?
    /// Children as listed: `birthDate`, `sex`, optional `idNumber` (validated when present).
    public var children: [ChildRef]
    public var issuedBy: String
    public var issuedOn: LocalDate
    public var validUntil: LocalDate
    /// Required when `event == .verified`.
    public var verifiedBy: String?
    /// Required when `event == .verified`.
    public var verifiedOn: LocalDate?

    public init(
        recordId: String, event: CertificateFact.Event, certificateNo: String, holder: PersonRecord,
        maritalStatus: CertificateFact.MaritalStatus, spouse: PersonRecord?, children: [ChildRef], issuedBy: String,
        issuedOn: LocalDate, validUntil: LocalDate, verifiedBy: String?, verifiedOn: LocalDate?
    ) {
        self.recordId = recordId
        self.event = event
        self.certificateNo = certificateNo
        self.holder = holder
        self.maritalStatus = maritalStatus
        self.spouse = spouse
        self.children = children
        self.issuedBy = issuedBy
        self.issuedOn = issuedOn
        self.validUntil = validUntil
        self.verifiedBy = verifiedBy
        self.verifiedOn = verifiedOn
    }
}

/// `ref.address-directory.v1` (compacted, key: `houseId`): which community and street office
/// serve a house.
public struct AddressDirectoryEntry: Sendable, Hashable, Codable {
    public var houseId: String
    public var text: String
    /// 12-digit community code and name.
    public var community: CommunityRef
    /// 9-digit street code and name.
    public var street: StreetRef
    /// Optional on this topic.
    public var recordId: String?

    public init(houseId: String, text: String, community: CommunityRef, street: StreetRef, recordId: String? = nil) {
        self.houseId = houseId
        self.text = text
        self.community = community
        self.street = street
        self.recordId = recordId
    }
}

/// Any department record.
public enum DepartmentRecord: Sendable, Hashable {
    case residencePermit(ResidencePermitRecord)
    case marriageRegistration(MarriageRegistrationRecord)
    case businessLicense(BusinessLicenseRecord)
    case schoolEnrollment(SchoolEnrollmentRecord)
    case certificate(CertificateRecord)

    public var topic: Topic {
        switch self {
        case .residencePermit: return .residencePermits
        case .marriageRegistration: return .marriageRegistrations
        case .businessLicense: return .businessLicenses
        case .schoolEnrollment: return .schoolEnrollments
        case .certificate: return .certificates
        }
    }

    public var recordId: String {
        switch self {
        case .residencePermit(let r): return r.recordId
        case .marriageRegistration(let r): return r.recordId
        case .businessLicense(let r): return r.recordId
        case .schoolEnrollment(let r): return r.recordId
        case .certificate(let r): return r.recordId
        }
    }

    /// The Kafka key per DESIGN.md: permitNo, certificateNo, licenseNo, recordId.
    public var key: String {
        switch self {
        case .residencePermit(let r): return r.permitNo
        case .marriageRegistration(let r): return r.certificateNo
        case .businessLicense(let r): return r.licenseNo
        case .schoolEnrollment(let r): return r.recordId
        case .certificate(let r): return r.certificateNo
        }
    }
}
