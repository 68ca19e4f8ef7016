import Foundation
import Kafka
import Logging
import Synchronization

/// A fresh embedded cluster and helpers shared by the Kafka tests.
struct TestCluster {
    let kafka: EmbeddedKafka
    let logger: Logger

    init(brokers: Int = 3) throws {
        var logger = Logger(label: "kafka-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        self.logger = logger
        self.kafka = try EmbeddedKafka(brokers: brokers, logger: logger)
    }

    func topic(_ prefix: String, partitions: Int32, replication: Int32 = 1) throws -> String {
        let name = "\(prefix)-\(UUID().uuidString.prefix(8))"
        try kafka.createTopic(name, partitions: partitions, replicationFactor: replication)
        return name
    }

    func producer(_ configure: (inout KafkaProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var config = KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServerList)
        configure(&config)
        return try KafkaProducer(configuration: config, logger: logger)
    }

    func consumer(group: String, _ configure: (inout KafkaConsumerConfiguration) -> Void = { _ in }) throws -> KafkaConsumer {
        var config = KafkaConsumerConfiguration(bootstrapServers: kafka.bootstrapServerList, groupId: group)
        config.fetchWaitMax = .milliseconds(20)
        config.sessionTimeout = .seconds(6)
        configure(&config)
        return try KafkaConsumer(configuration: config, logger: logger)
    }

    func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServerList), logger: logger)
    }
}

/// Runs `body` but fails after `seconds`, so a broken consumer cannot hang the suite.
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw DeadlineExceeded(what: what, seconds: seconds)
        }
        group.cancelAll()
        return value
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var seconds: Double
    var description: String { "\(what) did not finish within \(seconds) s" }
}

/// Thread-safe bag of what consumers processed.
final class Processed: Sendable {
    private let state = Mutex<(counts: [String: Int], total: Int)>(([:], 0))
    func record(_ id: String) { state.withLock { $0.counts[id, default: 0] += 1; $0.total += 1 } }
    var unique: Int { state.withLock { $0.counts.count } }
    var total: Int { state.withLock { $0.total } }
    var duplicates: Int { state.withLock { s in s.counts.values.reduce(0) { $0 + ($1 - 1) } } }
    var ids: Set<String> { state.withLock { Set($0.counts.keys) } }
}

extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}
