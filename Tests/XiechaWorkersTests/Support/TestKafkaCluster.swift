import Foundation
import Kafka
import Logging
import XiechaCore

/// An embedded (librdkafka mock) cluster in the test process with every Xiecha topic, for tests
/// that run `xiecha` worker processes against it, plus helpers to read whole topics back.
///
/// The mock keeps only ~5 MiB per partition and drops older data silently, so `readAll`
/// fails when a partition's log start is above 0 (data a test relies on was lost).
final class TestKafkaCluster: Sendable {
    let kafka: EmbeddedKafka
    let logger: Logger
    /// Partitions per topic as created.
    let partitions: [String: Int32]

    /// Creates the cluster and every Xiecha topic with its default layout, except where
    /// `partitions` says otherwise; `extraTopics` are created too.
    init(brokers: Int = 1, partitions overrides: [Topic: Int32] = [:], extraTopics: [String: Int32] = [:]) throws {
        var logger = Logger(label: "xiecha-workers-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        self.logger = logger
        kafka = try EmbeddedKafka(brokers: brokers, logger: logger)
        var made: [String: Int32] = [:]
        for layout in TopicLayout.all {
            let n = overrides[layout.topic] ?? layout.partitions
            try kafka.createTopic(layout.topic.rawValue, partitions: n, replicationFactor: 1)
            made[layout.topic.rawValue] = n
        }
        for (name, n) in extraTopics {
            try kafka.createTopic(name, partitions: n, replicationFactor: 1)
            made[name] = n
        }
        partitions = made
    }

    var bootstrap: String { kafka.bootstrapServers }

    func clientConfiguration() -> KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServerList)
    }

    /// A producer; `properties` are passed to librdkafka (e.g. `message.max.bytes`).
    func producer(properties: [String: String] = [:]) throws -> KafkaProducer {
        var config = KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServerList)
        config.client.properties = properties
        return try KafkaProducer(configuration: config, logger: logger)
    }

    func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: clientConfiguration(), logger: logger)
    }

    /// Sum over partitions of the end offsets (all partitions start at 0 on a fresh cluster).
    func endOffsetSum(_ topic: String) async throws -> Int64 {
        let admin = try admin()
        defer { admin.close() }
        return try await admin.endOffsets(topic: topic).values.reduce(0, +)
    }

    /// A group's committed offsets on a topic.
    func committedOffsets(group: String, topic: String) async throws -> [KafkaTopicPartition: Int64?] {
        let admin = try admin()
        defer { admin.close() }
        return try await admin.committedOffsets(group: group, topic: topic)
    }

    /// Every message of a topic from offset 0 to its current end, ordered by partition then
    /// offset. Fails if the mock dropped any (log start above 0) or the read overstays `seconds`.
    func readAll(_ topic: String, within seconds: Double = 60) async throws -> [KafkaConsumerMessage] {
        let admin = try admin()
        let marks: [Int32: (low: Int64, high: Int64)]
        do {
            marks = try await admin.watermarks(topic: topic)
        } catch {
            admin.close()
            throw error
        }
        admin.close()
        for (p, w) in marks where w.low != 0 {
            throw TestFailure("\(topic)[\(p)] starts at \(w.low): the embedded cluster dropped data (over ~5 MiB per partition)")
        }
        let total = marks.values.reduce(0) { $0 + Int($1.high) }
        if total == 0 { return [] }
        var config = KafkaConsumerConfiguration(client: clientConfiguration(), groupId: "xiecha-test-reader-\(UUID().uuidString)")
        config.autoCommitInterval = nil
        config.fetchWaitMax = .milliseconds(20)
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        var start: [KafkaTopicPartition: Int64] = [:]
        for p in marks.keys { start[KafkaTopicPartition(topic: topic, partition: p)] = KafkaOffset.beginning }
        try consumer.assign(start)
        let ends = marks.mapValues(\.high)
        do {
            let messages = try await Deadline.run(
                seconds, "reading \(total) messages of \(topic)", onTimeout: { await consumer.stopReading() }
            ) {
                var out: [KafkaConsumerMessage] = []
                out.reserveCapacity(total)
                for await batch in consumer.batches {
                    for m in batch where m.offset < (ends[m.partition] ?? 0) { out.append(m) }
                    if out.count >= total { break }
                }
                return out
            }
            await consumer.close()
            guard messages.count == total else {
                throw TestFailure("\(topic): read \(messages.count) of \(total) messages")
            }
            return messages.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
        } catch {
            await consumer.close()
            throw error
        }
    }

    func shutdown() { kafka.shutdown() }
}

extension KafkaConsumerMessage {
    func headerString(_ key: String) -> String? { headers[header: key]?.stringValue }
}
