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
    public static let departmentFeeds: [Topic] = Feed.allCases.map { $0.topic }

    /// The `--feed` name of a department topic (`residence-permits`, …); `nil` for Xiecha's own topics.
    public var feedName: String? { Feed(topic: self)?.rawValue }

    /// The department topic with this `--feed` name.
    public init?(feedName: String) {
        guard let feed = Feed(rawValue: feedName) else { return nil }
        self = feed.topic
    }
}
