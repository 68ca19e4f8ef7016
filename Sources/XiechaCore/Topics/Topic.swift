/// Every Kafka topic Xiecha reads or writes, defined once.
///
/// Topic names are part of the contract with other departments (DESIGN.md "Records"),
/// so code refers to them through this type rather than through string literals.
public enum Topic: String, Sendable, Hashable, Codable, CaseIterable {
    case residencePermits = "police.residence-permits.v1"
    case marriageRegistrations = "civil.marriage-registrations.v1"
    case businessLicenses = "market.business-licenses.v1"
    case schoolEnrollments = "edu.school-enrollments.v1"
    case certificates = "health.marriage-childbearing-certificates.v1"
    case addressDirectory = "ref.address-directory.v1"
    case personEvents = "xiecha.person-events.v1"
    case alerts = "xiecha.alerts.v1"
    case deadLetters = "xiecha.dead-letters.v1"

    /// The five department feeds, each consumed by its own intake worker.
    public static let departmentFeeds: [Topic] = [
        .residencePermits, .marriageRegistrations, .businessLicenses, .schoolEnrollments, .certificates,
    ]

    /// The `--feed` name of a department topic (`residence-permits`, …); `nil` for Xiecha's own topics.
    public var feedName: String? {
        switch self {
        case .residencePermits: return "residence-permits"
        case .marriageRegistrations: return "marriage-registrations"
        case .businessLicenses: return "business-licenses"
        case .schoolEnrollments: return "school-enrollments"
        case .certificates: return "certificates"
        default: return nil
        }
    }

    /// The department topic with this `--feed` name.
    public init?(feedName: String) {
        guard let t = Topic.departmentFeeds.first(where: { $0.feedName == feedName }) else { return nil }
        self = t
    }
}
