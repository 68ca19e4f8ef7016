import CRdKafka
import Foundation
import Logging
import Synchronization

/// librdkafka's own mock Kafka cluster, served on loopback: the broker for tests, `make dev`
/// and benchmarks. Never production.
///
/// Limits to design around (DESIGN.md "The embedded Kafka and its limits"): each partition
/// keeps only its newest ~5 MiB, older data is dropped silently; there is no CreateTopics
/// (topics are made with `createTopic`; auto-created topics get 4 partitions); the first group
/// join takes about 3 s.
public final class EmbeddedKafka: Sendable {
    private let handle: RDKafkaClient
    private let cluster: SendableMockCluster
    /// Broker ids are 1…`brokerCount`.
    public let brokerCount: Int
    /// Comma-separated `host:port` list of the mock brokers, as clients take it.
    public let bootstrapServers: String

    struct SendableMockCluster: @unchecked Sendable {  // the mock cluster API is thread-safe
        let pointer: OpaquePointer
    }

    public init(brokers: Int = 3, logger: Logger = Logger(label: "xiecha.embedded-kafka")) throws(KafkaError) {
        precondition(brokers >= 1, "a cluster needs at least one broker")
        // A bare client owns the mock cluster; it never connects anywhere itself.
        self.handle = try RDKafkaClient(
            kind: .producer, properties: [("log_level", "3")], callbacks: RDKafkaCallbacks(),
            logger: logger)
        guard let mc = rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) else {
            throw KafkaError(code: .embeddedCluster, message: "could not start a mock cluster with \(brokers) brokers")
        }
        self.cluster = SendableMockCluster(pointer: mc)
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
        logger.info("embedded Kafka started", metadata: ["kafka.bootstrap": "\(bootstrapServers)", "kafka.brokers": "\(brokers)"])
    }

    /// `bootstrapServers` as a list.
    public var bootstrapServerList: [String] { bootstrapServers.split(separator: ",").map(String.init) }

    /// Creates a topic (`rd_kafka_mock_topic_create`). Creating one that exists is an error in the mock.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster.pointer, name, partitions, min(replicationFactor, Int32(brokerCount)))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.from(err, code: .embeddedCluster, context: "create topic '\(name)'")
        }
    }

    /// Takes a broker down: its connections are closed and new ones refused.
    public func setBrokerDown(_ brokerId: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster.pointer, brokerId), "broker \(brokerId) down")
    }

    /// Brings a broker back.
    public func setBrokerUp(_ brokerId: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster.pointer, brokerId), "broker \(brokerId) up")
    }

    /// Adds a round-trip delay to every response of a broker.
    public func setRoundTripDelay(_ brokerId: Int32, _ delay: Duration) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_rtt(cluster.pointer, brokerId, Int32(clamping: delay.milliseconds)), "broker \(brokerId) rtt")
    }

    /// Makes the next `errors.count` requests of `apiKey` (e.g. `ApiKey.produce`) fail with these
    /// errors (librdkafka `rd_kafka_resp_err_t` codes), cluster-wide.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t($0) }
        codes.withUnsafeBufferPointer { buf in
            rd_kafka_mock_push_request_errors_array(cluster.pointer, apiKey, buf.count, buf.baseAddress)
        }
    }

    /// Makes metadata for a topic report an error (e.g. `TOPIC_AUTHORIZATION_FAILED`).
    public func setTopicError(_ topic: String, error: Int32) {
        rd_kafka_mock_topic_set_error(cluster.pointer, topic, rd_kafka_resp_err_t(error))
    }

    /// Moves a partition's leadership to another broker (or none with -1).
    public func setPartitionLeader(topic: String, partition: Int32, brokerId: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, brokerId), "leader of \(topic)[\(partition)]")
    }

    /// Kafka protocol request types used with `pushRequestErrors`.
    public enum ApiKey {
        public static let produce: Int16 = 0
        public static let fetch: Int16 = 1
        public static let metadata: Int16 = 3
        public static let offsetCommit: Int16 = 8
        public static let initProducerId: Int16 = 22
    }

    /// librdkafka error codes used in fault injection.
    public enum ErrorCode {
        public static let topicAuthorizationFailed = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue
        public static let notLeaderForPartition = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
        public static let requestTimedOut = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
        public static let messageTooLarge = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, code: .embeddedCluster, context: what) }
    }

    private let stopped = Mutex(false)

    /// Stops the brokers. Clients still connected see their connections close. Idempotent.
    public func shutdown() {
        let first = stopped.withLock { s -> Bool in
            defer { s = true }
            return !s
        }
        guard first else { return }
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        handle.destroy()
    }

    deinit { shutdown() }
}
