import ArgumentParser
import Foundation
import Kafka
import Logging
import XiechaCore
import XiechaWorkers

/// `xiecha publish --topic T --file F.jsonl`: loads records into a topic, one JSON value per line,
/// keyed as DESIGN.md says for that topic. For the compacted address directory a line may also be
/// `{"key": houseId, "value": {…}|null}` (null = tombstone).
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish a JSON-lines file of records to a topic.")

    @Option(name: .long, help: "Topic name, e.g. police.residence-permits.v1.")
    var topic: String

    @Option(name: .long, help: "JSON-lines file ('-' for stdin).")
    var file: String

    @Option(name: .long, help: "Kafka bootstrap servers (env XIECHA_BROKERS).")
    var brokers: String?

    @Option(name: .long, help: "Configuration file, YAML (env XIECHA_CONFIG).")
    var config: String?

    func run() async throws {
        var configuration = try XiechaConfiguration.load(file: config)
        if let brokers { configuration.brokers = brokers.split(separator: ",").map(String.init) }
        guard !configuration.brokers.isEmpty else { throw ValidationError("no Kafka brokers: pass --brokers or set XIECHA_BROKERS") }
        let known = Topic(rawValue: topic)
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read '\(file)': \(error.localizedDescription)")
        }
        var logger = Logger(label: "xiecha.publish")
        logger.logLevel = .warning
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: configuration.kafkaClient()), logger: logger)
        var sent = 0
        var unkeyed = 0
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            var key: String? = nil
            var value: [UInt8]? = bytes
            if known == .addressDirectory, let root = try? JSONParser.parse(bytes), case .object(let o) = root,
                let k = o["key"], case .string(let ks) = k, o["value"] != nil
            {
                key = ks
                if case .null = o["value"]! { value = nil } else {
                    var w = JSONWriter()
                    w.value(o["value"]!)
                    value = w.bytes
                }
            } else if known == .personEvents {
                // Person events are keyed by the person's ID number (all of one person on one partition).
                key = (try? PersonEvent(jsonBytes: bytes))?.person.idNumber
            } else if let known {
                // The record's own key field; a line that is not a valid record is sent unkeyed
                // so the intake worker can dead-letter it (that is how bad input is tested).
                key = try? IntakeProcessor.recordKey(topic: known, value: bytes)
            }
            if key == nil { unkeyed += 1 }
            try await producer.send(KafkaProducerMessage(topic: topic, key: key, value: value))
            sent += 1
        }
        do {
            try await producer.awaitDeliveries()
        } catch {
            await producer.shutdown()
            throw error
        }
        await producer.shutdown()
        FileHandle.standardError.write(Data("published \(sent) records to \(topic) (\(unkeyed) without a key)\n".utf8))
    }
}

/// `xiecha topics create`: every Xiecha topic with its default layout, through CreateTopics.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Manage Xiecha's topics.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create every Xiecha topic (compacted address directory) on a real Kafka cluster.")

        @Option(name: .long, help: "Kafka bootstrap servers (env XIECHA_BROKERS).")
        var brokers: String?

        @Option(name: .long, help: "Configuration file, YAML (env XIECHA_CONFIG).")
        var config: String?

        @Option(name: .long, help: "Replication factor (-1: the broker's default).")
        var replicationFactor: Int32 = -1

        func run() async throws {
            var configuration = try XiechaConfiguration.load(file: config)
            if let brokers { configuration.brokers = brokers.split(separator: ",").map(String.init) }
            guard !configuration.brokers.isEmpty else { throw ValidationError("no Kafka brokers: pass --brokers or set XIECHA_BROKERS") }
            var logger = Logger(label: "xiecha.topics")
            logger.logLevel = .warning
            let admin = try KafkaAdmin(configuration: configuration.kafkaClient(), logger: logger)
            defer { admin.close() }
            let topics = TopicLayout.all.map { layout in
                KafkaAdmin.NewTopic(
                    name: layout.topic.rawValue, partitions: layout.partitions, replicationFactor: replicationFactor,
                    configs: layout.configs)
            }
            try await admin.createTopics(topics)
            for t in topics {
                print("\(t.name)\t\(t.partitions) partitions\t\(t.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))")
            }
        }
    }
}
