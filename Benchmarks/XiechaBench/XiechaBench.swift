import ArgumentParser
import Foundation
import Kafka
import Logging

/// Benchmarks that need a program of their own (`make bench` runs them; see Benchmarks/run.sh).
@main
struct XiechaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xiecha-bench", abstract: "Xiecha benchmarks.", subcommands: [KafkaBench.self, IntakeCoreBench.self])
}

/// The Swift half of the Kafka comparison: the same workload as Benchmarks/kafka_bench.c.
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka", abstract: "Produce or consume N messages through the Kafka module; prints messages/s.")

    @Argument var mode: String
    @Argument var bootstrap: String
    @Argument var topic: String
    @Argument var count: Int
    @Argument var valueBytes: Int

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let servers = bootstrap.split(separator: ",").map(String.init)
        switch mode {
        case "produce":
            var config = KafkaProducerConfiguration(bootstrapServers: servers)
            config.linger = .milliseconds(5)
            let producer = try KafkaProducer(configuration: config, logger: logger)
            let value = [UInt8](repeating: UInt8(ascii: "v"), count: valueBytes)
            // Like the C side's snprintf("K%017ld") into one buffer: the harness's own work per message stays
            // small (argument-parser properties read once, no string formatting).
            let (topic, count) = (self.topic, self.count)
            var key = Array("K00000000000000000".utf8)
            let start = ContinuousClock.now
            for i in 0..<count {
                var n = i
                for p in stride(from: 17, through: 1, by: -1) {
                    key[p] = UInt8(ascii: "0") + UInt8(n % 10)
                    n /= 10
                }
                try await producer.send(KafkaProducerMessage(topic: topic, key: key, value: value))
            }
            try await producer.awaitDeliveries()
            let seconds = (ContinuousClock.now - start).seconds
            print(String(format: "%.0f", Double(count) / seconds))
            await producer.shutdown()
        case "consume":
            var config = KafkaConsumerConfiguration(bootstrapServers: servers, groupId: "bench-swift-\(UUID().uuidString.prefix(8))")
            config.offsetGapCheck = .everyMessage
            let consumer = try KafkaConsumer(configuration: config, logger: logger)
            try consumer.subscribe(topics: [topic])
            var n = 0
            var bytes = 0
            var start = ContinuousClock.now
            for await m in consumer.messages {
                if n == 0 { start = ContinuousClock.now }
                bytes += (m.value?.count ?? 0) + (m.key?.count ?? 0)
                n += 1
                if n == count { break }
            }
            let seconds = (ContinuousClock.now - start).seconds
            print(String(format: "%.0f", Double(count) / seconds))
            FileHandle.standardError.write(Data("consumed \(n) messages, \(bytes) bytes, gaps \(consumer.offsetGaps.count)\n".utf8))
            await consumer.close()
        default:
            throw ValidationError("mode is produce or consume")
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
