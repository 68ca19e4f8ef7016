import ArgumentParser
import Foundation
import Kafka
import Logging
import XiechaCore
import XiechaWorkers

/// `xiecha publish`: loads a JSON-lines file into Kafka, keyed as DESIGN.md says for each topic.
///
/// - `--topic T`: one record value per line. For the compacted address directory a line may also
///   be `{"key": houseId, "value": {…}|null}` (null = tombstone).
/// - no `--topic`: every line is in `xiecha simulate` input form and carries its own topic and
///   event time, which becomes the Kafka message timestamp (what the intake workers take as the
///   record's `occurredAt`). So the file a policy officer simulates can feed the live workers, and
///   they see the same event times.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish a JSON-lines file of records to Kafka.",
        discussion: """
            With --topic, each line is one record value for that topic, keyed as DESIGN.md says (the permit, \
            certificate or licence number, the enrolment's recordId, the directory's houseId, a person event's ID \
            number). A line that is not a valid record is still sent, without a key, so the intake worker \
            dead-letters it (that is how bad input is tried); each such line is reported on stderr with its line \
            number and reason.

            Without --topic, each line is {"topic": …, "timestamp": …, "value": …, "key": …?}, the input of \
            `xiecha simulate`: sent to its topic with its timestamp as the message timestamp, so the workers see \
            the event times simulate would. If any line is not in that form, the lines at fault are listed and \
            nothing is sent (exit 65). Mind time-based retention: a topic with retention.ms drops records whose \
            timestamp is older than that soon after they arrive.
            """)

    @Option(name: .long, help: "Topic name, e.g. police.residence-permits.v1 (omit it for lines that name their own topic and time).")
    var topic: String?

    @Option(name: .long, help: "JSON-lines file ('-' for stdin).")
    var file: String

    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        if let topic, Topic(rawValue: topic) == nil {
            throw ValidationError("unknown topic '\(topic)'; Xiecha's topics: \(Topic.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let configuration = try cluster.loadConfiguration()
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read '\(file)': \(error.localizedDescription)")
        }
        var lines: [(number: Int, bytes: [UInt8])] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line)
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            lines.append((i + 1, bytes))
        }

        let messages: [KafkaProducerMessage]
        if let topic {
            messages = Self.records(lines, topic: Topic(rawValue: topic)!)
        } else {
            messages = try Self.timedLines(lines, utcOffsetSeconds: configuration.rules.utcOffsetSeconds)
        }

        var logger = Logger(label: "xiecha.publish")
        logger.logLevel = .warning
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: configuration.kafkaClient()), logger: logger)
        for m in messages { try await producer.send(m) }
        do {
            try await producer.awaitDeliveries()
        } catch {
            await producer.shutdown()
            throw error
        }
        await producer.shutdown()
        var counts: [String: (sent: Int, unkeyed: Int)] = [:]
        for m in messages { counts[m.topic, default: (0, 0)].sent += 1; if m.key == nil { counts[m.topic]!.unkeyed += 1 } }
        for (t, c) in counts.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("published \(c.sent) records to \(t) (\(c.unkeyed) without a key)\n".utf8))
        }
    }

    /// `--topic` lines: record values for `topic`, keyed from the record; lines that are not valid
    /// records go unkeyed and are reported (line number and reason, never the value).
    static func records(_ lines: [(number: Int, bytes: [UInt8])], topic: Topic) -> [KafkaProducerMessage] {
        var out: [KafkaProducerMessage] = []
        out.reserveCapacity(lines.count)
        for (number, bytes) in lines {
            var key: String? = nil
            var value: [UInt8]? = bytes
            if topic == .addressDirectory, let root = try? JSONParser.parse(bytes), case .object(let o) = root,
                let k = o["key"], case .string(let ks) = k, let v = o["value"]
            {
                key = ks
                if case .null = v { value = nil } else {
                    var w = JSONWriter()
                    w.value(v)
                    value = w.bytes
                }
            } else {
                key = recordKey(topic: topic, value: bytes, line: number)
            }
            out.append(KafkaProducerMessage(topic: topic.rawValue, key: key, value: value))
        }
        return out
    }

    /// Lines in `xiecha simulate` input form, each to its topic at its event time; throws (exit 65)
    /// after listing every line that is not in that form.
    static func timedLines(_ lines: [(number: Int, bytes: [UInt8])], utcOffsetSeconds: Int) throws -> [KafkaProducerMessage] {
        var out: [KafkaProducerMessage] = []
        out.reserveCapacity(lines.count)
        var faults = 0
        for (number, bytes) in lines {
            switch SimulationInputLine.parse(bytes, localUTCOffsetSeconds: utcOffsetSeconds) {
            case .success(let line):
                let key = line.key ?? recordKey(topic: line.topic, value: line.value, line: number)
                out.append(
                    KafkaProducerMessage(
                        topic: line.topic.rawValue, key: key, value: line.value, timestampMs: line.timestamp.millisecondsSinceEpoch))
            case .failure(let malformed):
                faults += 1
                report("line \(number): \(describe(malformed.reason))")
            }
        }
        if faults > 0 {
            report("nothing published: \(faults) of \(lines.count) lines are not {\"topic\", \"timestamp\", \"value\"} lines (give --topic for plain record values)")
            throw ExitCode(65)
        }
        return out
    }

    /// The key DESIGN.md gives a record of `topic`; `nil` (reported with the line number and the
    /// reason, never the value) when the value is not a valid record.
    private static func recordKey(topic: Topic, value: [UInt8]?, line: Int) -> String? {
        do {
            return try IntakeProcessor.recordKey(topic: topic, value: value)
        } catch {
            report("line \(line): not a valid \(topic.rawValue) record (\(describe(error))): sent without a key")
            return nil
        }
    }

    private static func describe(_ reason: DeadLetterReason) -> String {
        reason.detail.map { "\(reason.code): \($0)" } ?? reason.code
    }

    private static func report(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
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

        @OptionGroup var cluster: ClusterOptions

        @Option(name: .long, help: "Replication factor (-1: the broker's default).")
        var replicationFactor: Int32 = -1

        func run() async throws {
            let configuration = try cluster.loadConfiguration()
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
