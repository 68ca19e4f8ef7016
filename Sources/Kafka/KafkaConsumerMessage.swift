/// A message read from Kafka. A `nil` value is a tombstone.
public struct KafkaConsumerMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Create or log-append time, milliseconds since the epoch; `nil` when the broker sent none.
    public var timestampMs: Int64?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader],
        timestampMs: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}

/// Records that were lost between the offset a consumer expected and the one it received.
public struct KafkaOffsetGap: Sendable, Hashable {
    public var topicPartition: KafkaTopicPartition
    /// The offset the consumer expected next (its committed or last-read offset + 1).
    public var expectedOffset: Int64
    /// The offset it received instead.
    public var receivedOffset: Int64
    public var missingCount: Int64 { receivedOffset - expectedOffset }
}
