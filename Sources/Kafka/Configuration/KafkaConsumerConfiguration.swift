/// How a `KafkaConsumer` joins its group, fetches and commits.
///
/// Offsets are at-least-once by construction: librdkafka's automatic offset *store* is off, the
/// application marks what it has processed (`KafkaConsumer.storeOffsets`), and only those
/// stored offsets are committed — periodically (`autoCommitInterval`), on `commit()`, when
/// partitions are revoked, and at shutdown. Nothing is ever committed ahead of processing.
public struct KafkaConsumerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// `group.id`.
    public var groupId: String
    /// Where to start when the group has no committed offset (`auto.offset.reset`).
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// Commit stored offsets this often; `nil` commits only on `commit()`, revocation and shutdown.
    public var autoCommitInterval: Duration? = .seconds(5)
    /// `session.timeout.ms`.
    public var sessionTimeout: Duration = .seconds(10)
    /// `heartbeat.interval.ms`.
    public var heartbeatInterval: Duration = .seconds(1)
    /// `max.poll.interval.ms`: processing a batch must take less than this.
    public var maxPollInterval: Duration = .seconds(300)
    /// `fetch.wait.max.ms`: how long a broker holds an empty fetch.
    public var fetchWaitMax: Duration = .milliseconds(100)
    /// Messages taken from librdkafka per poll, handed to Swift as one batch.
    public var maxBatchSize: Int = 2_000
    /// `queued.max.messages.kbytes`: how much librdkafka fetches ahead of the application, in KiB.
    /// A worker whose batches are slow to process lowers it to keep its memory down.
    public var prefetchKilobytes: Int = 65_536
    /// Batches buffered between the poll thread and the application before the poll thread waits.
    public var maxBufferedBatches: Int = 4
    /// `partition.assignment.strategy`.
    public var assignmentStrategy: AssignmentStrategy = .range
    /// Which jumps in offsets the consumer reports (error log + metric `kafka_consumer_offset_gap_messages_total`).
    public var offsetGapCheck: OffsetGapCheck = .everyMessage

    /// Where to look for offsets that were skipped.
    ///
    /// A jump means records were lost before the consumer saw them: the embedded cluster keeps
    /// only the newest ~5 MiB per partition, and a real broker's retention can overtake a slow
    /// group. Compacted topics and transaction markers also leave gaps; use `.afterAssignment`
    /// (compare the first offset read with the committed one) or `.off` for those.
    public enum OffsetGapCheck: Sendable { case everyMessage, afterAssignment, off }

    public enum AutoOffsetReset: String, Sendable { case earliest, latest, error }
    public enum AssignmentStrategy: String, Sendable {
        case range = "range,roundrobin"
        case roundRobin = "roundrobin"
        case cooperativeSticky = "cooperative-sticky"
    }

    public init(bootstrapServers: [String], groupId: String) {
        self.client = KafkaClientConfiguration(bootstrapServers: bootstrapServers)
        self.groupId = groupId
    }

    public init(client: KafkaClientConfiguration, groupId: String) {
        self.client = client
        self.groupId = groupId
    }

    var librdkafkaProperties: [(String, String)] {
        var p = client.librdkafkaProperties
        p += [
            ("group.id", groupId),
            ("auto.offset.reset", autoOffsetReset.rawValue),
            ("enable.auto.offset.store", "false"),
            ("enable.auto.commit", autoCommitInterval == nil ? "false" : "true"),
            ("session.timeout.ms", String(sessionTimeout.milliseconds)),
            ("heartbeat.interval.ms", String(heartbeatInterval.milliseconds)),
            ("max.poll.interval.ms", String(maxPollInterval.milliseconds)),
            ("fetch.wait.max.ms", String(fetchWaitMax.milliseconds)),
            ("queued.max.messages.kbytes", String(prefetchKilobytes)),
            ("partition.assignment.strategy", assignmentStrategy.rawValue),
        ]
        if let interval = autoCommitInterval { p.append(("auto.commit.interval.ms", String(interval.milliseconds))) }
        p += client.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return p
    }
}
