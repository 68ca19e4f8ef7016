/// How each Xiecha topic is laid out: partitions and cleanup policy.
///
/// Used by `xiecha topics create` (real brokers) and `xiecha embedded-kafka --topics` (the mock
/// cluster). Partition counts bound how many workers of one kind can share the load, and on the
/// embedded cluster they also bound how much a topic can hold (~5 MiB per partition).
public struct TopicLayout: Sendable, Hashable {
    public var topic: Topic
    public var partitions: Int32
    /// `cleanup.policy=compact`: keep only the newest value per key (the address directory).
    public var compacted: Bool

    public init(topic: Topic, partitions: Int32, compacted: Bool) {
        self.topic = topic
        self.partitions = partitions
        self.compacted = compacted
    }

    /// Defaults for every topic.
    public static func defaults(for topic: Topic) -> TopicLayout {
        switch topic {
        case .residencePermits, .marriageRegistrations, .businessLicenses, .schoolEnrollments, .certificates:
            return TopicLayout(topic: topic, partitions: 12, compacted: false)
        case .addressDirectory:
            return TopicLayout(topic: topic, partitions: 6, compacted: true)
        case .personEvents:
            return TopicLayout(topic: topic, partitions: 24, compacted: false)
        case .alerts:
            return TopicLayout(topic: topic, partitions: 12, compacted: false)
        case .deadLetters:
            return TopicLayout(topic: topic, partitions: 6, compacted: false)
        }
    }

    /// Largest message on `xiecha.dead-letters.v1` (its `max.message.bytes`): dead letters keep the
    /// original record, including records rejected for being over the 1 MiB record limit.
    public static let maxDeadLetterBytes = 10 * 1024 * 1024

    /// Topic-level configs `xiecha topics create` sets.
    public var configs: [String: String] {
        var c: [String: String] = [:]
        if compacted { c["cleanup.policy"] = "compact" }
        if topic == .deadLetters { c["max.message.bytes"] = String(TopicLayout.maxDeadLetterBytes) }
        return c
    }

    /// Every Xiecha topic with its default layout, in `Topic.allCases` order.
    public static var all: [TopicLayout] { Topic.allCases.map(defaults(for:)) }
}
