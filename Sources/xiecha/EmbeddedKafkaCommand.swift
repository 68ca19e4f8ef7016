import ArgumentParser
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import XiechaCore

struct EmbeddedKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedded-kafka",
        abstract: "Serve librdkafka's mock Kafka cluster on loopback until stopped (development and tests only).",
        discussion: """
            Prints the bootstrap list (ports chosen by the kernel) as the first line of stdout. \
            The mock keeps only the newest ~5 MiB of each partition and has no CreateTopics: create \
            topics here with --topics / --topic.
            """
    )

    @Option(name: .long, help: "Number of brokers.")
    var brokers: Int = 3

    @Option(name: .long, help: "Also write the bootstrap list to this file.")
    var bootstrapFile: String?

    @Flag(name: .long, help: "Create every Xiecha topic with its default layout first.")
    var topics = false

    @Option(name: .long, help: "Create an extra topic, NAME:PARTITIONS (repeatable).")
    var topic: [String] = []

    @Option(name: .long, help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "warning"

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
        for spec in topic {
            let parts = spec.split(separator: ":")
            guard parts.count == 2, !parts[0].isEmpty, let n = Int32(parts[1]), n > 0 else {
                throw ValidationError("--topic takes NAME:PARTITIONS, got '\(spec)'")
            }
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        var logger = Logger(label: "xiecha.embedded-kafka")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let kafka = try EmbeddedKafka(brokers: brokers, logger: logger)
        let replication = Int32(min(brokers, 3))
        if topics {
            for layout in TopicLayout.all {
                try kafka.createTopic(layout.topic.rawValue, partitions: layout.partitions, replicationFactor: replication)
            }
        }
        for spec in topic {
            let parts = spec.split(separator: ":")
            try kafka.createTopic(String(parts[0]), partitions: Int32(parts[1])!, replicationFactor: replication)
        }
        if let bootstrapFile {
            try (kafka.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
        }
        // Unbuffered, so a parent process reading the first line sees it at once.
        FileHandle.standardOutput.write(Data((kafka.bootstrapServers + "\n").utf8))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [EmbeddedKafkaService(kafka: kafka)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Keeps the mock cluster up until graceful shutdown.
struct EmbeddedKafkaService: Service {
    let kafka: EmbeddedKafka
    func run() async throws {
        try? await gracefulShutdown()
        kafka.shutdown()
    }
}
