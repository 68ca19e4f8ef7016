import ArgumentParser
import Foundation
import Kafka
import Logging
import XiechaCore
import XiechaWorkers

/// `xiecha alerts tail`: prints alerts from `xiecha.alerts.v1` as they arrive, in its own consumer
/// group, with the subject masked (the payload never holds more).
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Read alerts.", subcommands: [Tail.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tail", abstract: "Print alerts (masked subject, type, community, reason).")

        @Option(name: .long, help: "Only this community (or street) code.")
        var community: String?

        @Flag(name: .long, help: "Keep printing new alerts until interrupted; otherwise stop at the end offsets seen at start.")
        var follow = false

        @Option(name: .long, help: "table | json")
        var format: String = "table"

        @Option(name: .long, help: "Kafka bootstrap servers (env XIECHA_BROKERS).")
        var brokers: String?

        @Option(name: .long, help: "Configuration file, YAML (env XIECHA_CONFIG).")
        var config: String?

        @Option(name: .long, help: "Consumer group (default: a new one per run, reading from the beginning).")
        var group: String?

        func validate() throws {
            guard format == "table" || format == "json" else { throw ValidationError("--format is table or json") }
        }

        func run() async throws {
            var configuration = try XiechaConfiguration.load(file: config)
            if let brokers { configuration.brokers = brokers.split(separator: ",").map(String.init) }
            guard !configuration.brokers.isEmpty else { throw ValidationError("no Kafka brokers: pass --brokers or set XIECHA_BROKERS") }
            var logger = Logger(label: "xiecha.alerts")
            logger.logLevel = .warning
            let topic = Topic.alerts.rawValue
            let groupId = group ?? "xiecha-alerts-tail-\(UUID().uuidString.prefix(8))"
            var target: EndOffsetTarget? = nil
            if !follow {
                let admin = try KafkaAdmin(configuration: configuration.kafkaClient(), logger: logger)
                target = try await EndOffsetTarget.read(admin: admin, topic: topic, group: groupId)
                admin.close()
                if target?.isComplete == true { return }
            }
            var consumerConfig = KafkaConsumerConfiguration(client: configuration.kafkaClient(), groupId: groupId)
            consumerConfig.fetchWaitMax = .milliseconds(50)
            let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
            try consumer.subscribe(topics: [topic])
            if format == "table" { emit("STATUS  TYPE                       COMMUNITY      SUBJECT              ALERT       REASON") }
            let stop = makeSignalStop { Task { await consumer.stopReading() } }
            defer { stop.cancel() }
            for await m in consumer.messages {
                if target?.includes(m) ?? true {
                    target?.reached(m)
                    try consumer.storeOffsets([m])
                    show(m)
                }
                // Checked after every message, shown or not: the last one may be another community's.
                if target?.isComplete == true { break }
            }
            await consumer.close()
        }

        /// Prints `m` if it is an alert of the community asked for (all of them without `--community`).
        private func show(_ m: KafkaConsumerMessage) {
            if let community, m.key.map({ String(decoding: $0, as: UTF8.self) }) != community { return }
            guard let value = m.value else { return }
            if format == "json" {
                emit(String(decoding: value, as: UTF8.self))
            } else if let alert = try? JSONDecoder().decode(AlertMessage.self, from: Data(value)) {
                emit(
                    [
                        alert.status.rawValue.padding(6), alert.type.rawValue.padding(26), alert.kafkaKey.padding(14),
                        "\(alert.subject.maskedId) \(alert.subject.maskedName)".padding(20), String(alert.alertId.prefix(10)).padding(11),
                        alert.reason,
                    ].joined(separator: " "))
            } else {
                FileHandle.standardError.write(Data("unreadable alert at \(m.topicPartition)@\(m.offset)\n".utf8))
            }
        }

        private func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }
}

/// Calls `action` once on SIGINT or SIGTERM.
func makeSignalStop(_ action: @escaping @Sendable () -> Void) -> SignalStop {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler { action() }
    source.resume()
    let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    term.setEventHandler { action() }
    term.resume()
    return SignalStop(sources: [source, term])
}

/// Keeps the signal sources alive until cancelled.
struct SignalStop {
    let sources: [any DispatchSourceSignal]
    func cancel() { for s in sources { s.cancel() } }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
