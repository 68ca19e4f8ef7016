/// A message to send. A `nil` value is a tombstone (it deletes the key in a compacted topic).
public struct KafkaProducerMessage: Sendable {
    public var topic: String
    /// A fixed partition, or `nil` to let the partitioner choose from the key.
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch; `nil` lets librdkafka stamp the send time.
    public var timestampMs: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
        timestampMs: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    public init(topic: String, key: String?, value: [UInt8]?, headers: [KafkaHeader] = [], timestampMs: Int64? = nil) {
        self.init(topic: topic, key: key.map { Array($0.utf8) }, value: value, headers: headers, timestampMs: timestampMs)
    }
}

/// Where the broker stored a message.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

/// A message the broker did not accept. Carries no key or value: keys may be personal data.
public struct KafkaDeliveryFailure: Sendable, Hashable, Error, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var error: KafkaError
    public var description: String { "delivery to \(topic)[\(partition)] failed: \(error)" }
}
