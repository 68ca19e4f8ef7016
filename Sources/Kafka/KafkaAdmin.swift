import CRdKafka
import Foundation
import Logging

/// Topic management and offsets: what an operator or a `--stop-at-end` worker asks a cluster.
///
/// Every call blocks in librdkafka and therefore runs on the client's own serial queue.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let configuration: KafkaClientConfiguration
    private let logger: Logger

    /// A topic to create: partitions, replication and topic-level configs such as
    /// `cleanup.policy=compact`.
    public struct NewTopic: Sendable, Hashable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int32
        public var configs: [String: String]
        public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    public init(configuration: KafkaClientConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        var props = configuration.librdkafkaProperties
        props += configuration.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.client = try RDKafkaClient(kind: .producer, properties: props, callbacks: RDKafkaCallbacks(), logger: logger)
    }

    /// Creates topics through the CreateTopics API. A topic that already exists is not an error.
    /// Brokers without CreateTopics (the embedded mock cluster) give `.unsupportedByBroker`.
    public func createTopics(_ topics: [NewTopic], timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let client = self.client
        let ms = Int32(clamping: timeout.milliseconds)
        try await client.runBlocking { () throws(KafkaError) in
            let rk = client.pointer
            // The embedded mock cluster names itself `mockCluster…` and has no CreateTopics; librdkafka
            // would only time out waiting for a controller, so say what is really wrong at once.
            if let id = rd_kafka_clusterid(rk, ms) {
                let clusterId = String(cString: id)
                free(id)
                if clusterId.hasPrefix("mockCluster") {
                    throw KafkaError(
                        code: .unsupportedByBroker,
                        message: "CreateTopics is not supported by the embedded mock cluster (\(clusterId)); "
                            + "create topics with EmbeddedKafka.createTopic or `xiecha embedded-kafka --topics`")
                }
            }
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
            for t in topics {
                guard let nt = rd_kafka_NewTopic_new(t.name, t.partitions, t.replicationFactor, &errstr, errstr.count) else {
                    throw KafkaError(
                        code: .configuration,
                        message: "topic '\(t.name)': \(errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
                }
                newTopics.append(nt)
                for (k, v) in t.configs.sorted(by: { $0.key < $1.key }) {
                    let e = rd_kafka_NewTopic_set_config(nt, k, v)
                    if e != RD_KAFKA_RESP_ERR_NO_ERROR {
                        throw KafkaError.from(e, code: .configuration, context: "topic '\(t.name)' config '\(k)'")
                    }
                }
            }
            let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, ms, &errstr, errstr.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, ms, &errstr, errstr.count)
            let queue = rd_kafka_queue_new(rk)
            defer { rd_kafka_queue_destroy(queue) }
            newTopics.withUnsafeMutableBufferPointer { buf in
                rd_kafka_CreateTopics(rk, buf.baseAddress, buf.count, options, queue)
            }
            guard let event = rd_kafka_queue_poll(queue, ms + 5000) else {
                throw KafkaError(code: .timedOut, message: "CreateTopics: no answer within \(ms) ms")
            }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
                throw KafkaError.from(err, code: .broker, context: "CreateTopics (\(text))")
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else {
                throw KafkaError(code: .broker, message: "CreateTopics: unexpected event type")
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
            for i in 0..<count {
                guard let r = results[i] else { continue }
                let e = rd_kafka_topic_result_error(r)
                if e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { continue }
                let name = String(cString: rd_kafka_topic_result_name(r))
                let text = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? ""
                throw KafkaError.from(e, code: .broker, context: "create topic '\(name)' (\(text))")
            }
        }
    }

    /// Topic names and partition counts, internal topics excluded.
    public func listTopics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: Int32] {
        let client = self.client
        let ms = Int32(clamping: timeout.milliseconds)
        return try await client.runBlocking { () throws(KafkaError) in
            try client.topicMetadata(topic: nil, timeoutMs: ms).filter { !$0.key.hasPrefix("__") }
        }
    }

    /// Low and high watermarks (log start, and the offset the next message will get) per partition.
    public func watermarks(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError)
        -> [Int32: (low: Int64, high: Int64)]
    {
        let client = self.client
        let ms = Int32(clamping: timeout.milliseconds)
        return try await client.runBlocking { () throws(KafkaError) in
            guard let count = try client.topicMetadata(topic: topic, timeoutMs: ms)[topic] else {
                throw KafkaError(code: .unknownTopic, message: "topic '\(topic)' does not exist")
            }
            var result: [Int32: (low: Int64, high: Int64)] = [:]
            for p in 0..<count {
                var low: Int64 = 0
                var high: Int64 = 0
                let err = rd_kafka_query_watermark_offsets(client.pointer, topic, p, &low, &high, ms)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.from(err, code: .broker, context: "watermarks of \(topic)[\(p)]")
                }
                result[p] = (low, high)
            }
            return result
        }
    }

    /// The offset the next message will get, per partition.
    public func endOffsets(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        var result: [KafkaTopicPartition: Int64] = [:]
        for (p, w) in try await watermarks(topic: topic, timeout: timeout) {
            result[KafkaTopicPartition(topic: topic, partition: p)] = w.high
        }
        return result
    }

    /// A consumer group's committed offsets for a topic (`nil` where nothing is committed).
    public func committedOffsets(group: String, topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError)
        -> [KafkaTopicPartition: Int64?]
    {
        let ends = try await endOffsets(topic: topic, timeout: timeout)
        var config = KafkaConsumerConfiguration(client: configuration, groupId: group)
        config.client.statisticsHandler = nil
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        let committed: [KafkaTopicPartition: Int64]
        do {
            committed = try await consumer.committed(Array(ends.keys), timeout: timeout)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return committed.mapValues { $0 >= 0 ? $0 : nil }
    }

    /// Per partition: how many messages the group has not committed yet (end − committed, or
    /// end − log start when nothing is committed).
    public func lag(group: String, topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let marks = try await watermarks(topic: topic, timeout: timeout)
        let committed = try await committedOffsets(group: group, topic: topic, timeout: timeout)
        var result: [KafkaTopicPartition: Int64] = [:]
        for (p, w) in marks {
            let tp = KafkaTopicPartition(topic: topic, partition: p)
            let from = max((committed[tp] ?? nil) ?? w.low, w.low)
            result[tp] = max(0, w.high - from)
        }
        return result
    }

    public func close() { client.destroy() }
}
