/// A department feed by its `--feed` name: each has its own topic and its own intake worker.
///
/// A separate type from `Topic` so that "an intake worker's input" cannot be one of Xiecha's own
/// topics; the names are part of the command line, so they are stable.
public enum Feed: String, Sendable, Hashable, CaseIterable, Codable {
    case residencePermits = "residence-permits"
    case marriageRegistrations = "marriage-registrations"
    case businessLicenses = "business-licenses"
    case schoolEnrollments = "school-enrollments"
    case certificates = "certificates"

    /// The department topic.
    public var topic: Topic {
        switch self {
        case .residencePermits: return .residencePermits
        case .marriageRegistrations: return .marriageRegistrations
        case .businessLicenses: return .businessLicenses
        case .schoolEnrollments: return .schoolEnrollments
        case .certificates: return .certificates
        }
    }

    /// The feed whose topic is `topic`; `nil` for Xiecha's own topics.
    public init?(topic: Topic) {
        guard let feed = Feed.allCases.first(where: { $0.topic == topic }) else { return nil }
        self = feed
    }
}
