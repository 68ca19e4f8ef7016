import Foundation
import Kafka
import Logging
import Testing
import XiechaCore
import XiechaStore
import XiechaWorkers

/// Kills the crosscheck worker process with SIGKILL at random moments and checks that, once it
/// has finished, the alerts topic holds exactly the messages an uninterrupted run publishes.
@Suite("Crosscheck worker crash recovery", .timeLimit(.minutes(15)))
struct CrashRecoveryTests {
    static let logger = Logger(label: "crash", factory: { _ in SwiftLogNoOpLogHandler() })

    struct AlertKey: Hashable, CustomStringConvertible {
        var alertId: String
        var status: String
        var community: String
        var description: String { "\(alertId.prefix(8)) \(status) \(community)" }
    }

    @Test("SIGKILL at random moments during 100,000 events: no alert missing, none extra, none under two ids")
    func killAndRestart() async throws {
        let binary = try xiechaBinary()
        let kafka = try EmbeddedKafka(brokers: 1, logger: Self.logger)
        try kafka.createTopic(Topic.personEvents.rawValue, partitions: 24)
        try kafka.createTopic(Topic.alerts.rawValue, partitions: 48)
        try kafka.createTopic(Topic.deadLetters.rawValue, partitions: 2)
        let persons = Int(ProcessInfo.processInfo.environment["XIECHA_CRASH_TEST_PERSONS"] ?? "") ?? 25_000
        let events = SyntheticEvents.make(persons: persons)
        #expect(events.count == persons * 4)

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServerList), logger: Self.logger)
        for e in events {
            try await producer.send(KafkaProducerMessage(topic: Topic.personEvents.rawValue, key: Array(e.person.idNumber.utf8), value: e.jsonBytes()))
        }
        try await producer.awaitDeliveries()
        await producer.shutdown()

        // What an uninterrupted run publishes: the same processor, in process, on an in-memory store —
        // events in event time, then the deadlines due by now (what --stop-at-end fires at the end).
        let memory = InMemoryStateStore()
        try await memory.migrate()
        var engineConfig = RulesConfiguration()
        engineConfig.personRefSecret = Array("crash-test-secret".utf8)
        let reference = CrosscheckProcessor(store: memory, engine: CrosscheckEngine(configuration: engineConfig), logger: Self.logger)
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        var expected = Set<AlertKey>()
        var i = 0
        while i < events.count {
            for m in try await reference.process(inEventTime: Array(events[i..<min(i + 5_000, events.count)])).messages {
                expected.insert(AlertKey(alertId: m.alertId, status: m.status.rawValue, community: m.kafkaKey))
            }
            i += 5_000
        }
        for m in try await reference.advance(to: now) { expected.insert(AlertKey(alertId: m.alertId, status: m.status.rawValue, community: m.kafkaKey)) }
        #expect(expected.count > persons / 4)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let arguments = [
            "worker", "crosscheck", "--brokers", kafka.bootstrapServers, "--store", "sqlite:\(dir.path)/state.sqlite",
            "--group", "crash-test", "--stop-at-end", "--log-level", "error",
        ]
        let environment = ["XIECHA_PERSON_REF_SECRET": "crash-test-secret"]
        var kills = 0
        var rng = SplitMix(seed: 42)
        let rounds = Int(ProcessInfo.processInfo.environment["XIECHA_CRASH_TEST_KILLS"] ?? "") ?? 4
        for _ in 0..<rounds {
            let p = try launch(binary, arguments, environment: environment, log: dir.appendingPathComponent("run-\(kills).log"))
            let delay = 2.0 + Double(rng.next() % 4000) / 1000
            try await Task.sleep(for: .seconds(delay))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
        }
        let last = try launch(binary, arguments, environment: environment, log: dir.appendingPathComponent("final.log"))
        let deadline = Date().addingTimeInterval(600)
        while last.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        if last.isRunning { last.terminate() }
        #expect(last.terminationStatus == 0, "final run exited with \(last.terminationStatus)")
        #expect(kills >= min(rounds, 2), "the worker was killed mid-run \(kills) times")

        // Everything on the alerts topic.
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServerList), logger: Self.logger)
        let marks = try await admin.watermarks(topic: Topic.alerts.rawValue)
        let ends = try await admin.endOffsets(topic: Topic.alerts.rawValue)
        admin.close()
        // The embedded cluster silently drops a partition's oldest data past ~5 MiB: the test must not rely on that.
        #expect(marks.values.allSatisfy { $0.low == 0 }, "the embedded cluster truncated the alerts topic; spread alerts over more partitions")
        var consumerConfig = KafkaConsumerConfiguration(bootstrapServers: kafka.bootstrapServerList, groupId: "crash-check")
        consumerConfig.fetchWaitMax = .milliseconds(20)
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: Self.logger)
        try consumer.assign(ends.mapValues { _ in KafkaOffset.beginning })
        var remaining = ends.filter { $0.value > 0 }
        var published = Set<AlertKey>()
        var total = 0
        for await m in consumer.messages {
            let alert = try JSONDecoder().decode(AlertMessage.self, from: Data(m.value ?? []))
            #expect(m.key.map { String(decoding: $0, as: UTF8.self) } == alert.kafkaKey)
            published.insert(AlertKey(alertId: alert.alertId, status: alert.status.rawValue, community: alert.kafkaKey))
            total += 1
            if m.offset + 1 >= (remaining[m.topicPartition] ?? 0) { remaining[m.topicPartition] = nil }
            if remaining.isEmpty { break }
        }
        await consumer.close()
        let missing = expected.subtracting(published)
        let extra = published.subtracting(expected)
        #expect(missing.isEmpty, "\(missing.count) alert messages missing, e.g. \(Array(missing.prefix(3)))")
        #expect(extra.isEmpty, "\(extra.count) unexpected alert messages, e.g. \(Array(extra.prefix(3)))")
        // Deterministic ids: one alert per (person, rule, subject) — the reference has no two ids for one problem,
        // and the crashed run has exactly the reference's ids.
        #expect(Set(published.map(\.alertId)) == Set(expected.map(\.alertId)))
        #expect(total >= published.count)
        kafka.shutdown()
        if missing.isEmpty && extra.isEmpty { try? FileManager.default.removeItem(at: dir) } else { print("crash test files kept in \(dir.path)") }
    }
}

/// The `xiecha` executable under test: `XIECHA_BINARY`, else the debug build next to the sources.
func xiechaBinary() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["XIECHA_BINARY"], FileManager.default.isExecutableFile(atPath: path) {
        return URL(fileURLWithPath: path)
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let candidate = root.appendingPathComponent(".build/debug/xiecha")
    guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
        throw CrashTestSetupError(description: "xiecha binary not found: build it (`swift build --product xiecha`) or set XIECHA_BINARY")
    }
    return candidate
}

struct CrashTestSetupError: Error, CustomStringConvertible { var description: String }

func launch(_ binary: URL, _ arguments: [String], environment: [String: String], log: URL) throws -> Process {
    let p = Process()
    p.executableURL = binary
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    return p
}
