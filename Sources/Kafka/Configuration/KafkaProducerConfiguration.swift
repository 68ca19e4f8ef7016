/// How a `KafkaProducer` batches, retries and acknowledges.
///
/// Defaults favour not losing or duplicating anything: idempotence on (which implies
/// `acks=all` and bounded in-flight requests), and the Java client's `murmur2_random`
/// partitioner so that a key lands on the same partition whichever department's client sent it.
public struct KafkaProducerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// `enable.idempotence`: no duplicates from retries, order kept per partition.
    public var idempotence: Bool = true
    /// `linger.ms`: how long to wait to fill a batch.
    public var linger: Duration = .milliseconds(5)
    /// `message.timeout.ms`: after this a message fails with `_MSG_TIMED_OUT`.
    public var messageTimeout: Duration = .seconds(300)
    /// `queue.buffering.max.messages`: local queue bound; `send` waits when it is full.
    public var maxQueuedMessages: Int = 100_000
    /// `batch.num.messages`.
    public var batchMessages: Int = 10_000
    /// `compression.codec`.
    public var compression: Compression = .none
    /// `partitioner`.
    public var partitioner: String = "murmur2_random"
    /// How long `shutdown()` waits for queued messages before failing them.
    public var shutdownFlushTimeout: Duration = .seconds(30)

    public enum Compression: String, Sendable { case none, gzip, snappy, lz4, zstd }

    public init(bootstrapServers: [String]) {
        self.client = KafkaClientConfiguration(bootstrapServers: bootstrapServers)
    }

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    var librdkafkaProperties: [(String, String)] {
        var p = client.librdkafkaProperties
        p += [
            ("enable.idempotence", idempotence ? "true" : "false"),
            ("linger.ms", String(linger.milliseconds)),
            ("message.timeout.ms", String(messageTimeout.milliseconds)),
            ("queue.buffering.max.messages", String(maxQueuedMessages)),
            ("batch.num.messages", String(batchMessages)),
            ("compression.codec", compression.rawValue),
            ("partitioner", partitioner),
        ]
        p += client.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return p
    }
}
