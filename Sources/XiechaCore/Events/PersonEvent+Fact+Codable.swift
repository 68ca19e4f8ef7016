extension PersonEvent.Fact: Codable {
    /// The discriminator written as `fact.kind`.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case residencePermit, marriageRegistration, businessLicense, schoolEnrollment, certificate
    }

    public var kind: Kind {
        switch self {
        case .residencePermit: return .residencePermit
        case .marriageRegistration: return .marriageRegistration
        case .businessLicense: return .businessLicense
        case .schoolEnrollment: return .schoolEnrollment
        case .certificate: return .certificate
        }
    }

    private enum CodingKeys: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .residencePermit: self = .residencePermit(try ResidencePermitFact(from: decoder))
        case .marriageRegistration: self = .marriageRegistration(try MarriageRegistrationFact(from: decoder))
        case .businessLicense: self = .businessLicense(try BusinessLicenseFact(from: decoder))
        case .schoolEnrollment: self = .schoolEnrollment(try SchoolEnrollmentFact(from: decoder))
        case .certificate: self = .certificate(try CertificateFact(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .residencePermit(let f): try f.encode(to: encoder)
        case .marriageRegistration(let f): try f.encode(to: encoder)
        case .businessLicense(let f): try f.encode(to: encoder)
        case .schoolEnrollment(let f): try f.encode(to: encoder)
        case .certificate(let f): try f.encode(to: encoder)
        }
    }
}
