import Foundation
import Kafka
import Testing
import XiechaCore
import XiechaWorkers

/// One full run, shared by the tests of `IntakeEndToEndTests`: an embedded cluster in this
/// process with the default topic layout (`xiecha embedded-kafka --topics`), the corpus published
/// with `xiecha publish`, the five `xiecha worker intake --stop-at-end` processes, and every
/// resulting topic read back.
struct IntakeFullRun: Sendable {
    struct Output: Sendable {
        var name: String
        var status: Int32
        var stdout: String
        var stderr: String
    }

    var corpus: IntakeCorpus
    var publishes: [Output]
    var workers: [Topic: Output]
    var personEvents: [KafkaConsumerMessage]
    var personEventEndOffsetSum: Int64
    var personEventPartitions: Int32
    var deadLetters: [KafkaConsumerMessage]
    var deadLetterEndOffsetSum: Int64
    /// The department topics as published, to find a dead letter's source record.
    var inputs: [String: [KafkaConsumerMessage]]

    /// Started once, on first use.
    static let shared = Task<IntakeFullRun, any Error> { try await IntakeFullRun.execute() }

    static func execute() async throws -> IntakeFullRun {
        let corpus = IntakeCorpus.generate()
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "intake-e2e")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 3)
        defer { cluster.shutdown() }
        let brokers = cluster.bootstrap

        // Publish: the directory first (workers read it at start), then the five feeds at once.
        func write(_ name: String, _ lines: [String]) throws -> String {
            let url = children.directory.appendingPathComponent(name)
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        var publishes: [Output] = []
        func publish(_ topic: Topic, _ lines: [String]) throws -> ChildProcess {
            let file = try write("\(topic.rawValue).jsonl", lines)
            return try children.start("publish-\(topic.rawValue)", ["publish", "--topic", topic.rawValue, "--file", file, "--brokers", brokers])
        }
        let dir = try publish(.addressDirectory, corpus.directoryLines)
        let dirStatus = try await dir.waitForExit(within: 120)
        publishes.append(Output(name: dir.name, status: dirStatus, stdout: dir.stdout, stderr: dir.stderr))
        guard dirStatus == 0 else { throw TestFailure("publishing the directory failed (\(dirStatus)):\n\(dir.stderr)") }
        var feedPublishes: [ChildProcess] = []
        for topic in Topic.departmentFeeds {
            feedPublishes.append(try publish(topic, corpus.records(for: topic).map(\.line)))
        }
        for p in feedPublishes {
            let status = try await p.waitForExit(within: 120)
            publishes.append(Output(name: p.name, status: status, stdout: p.stdout, stderr: p.stderr))
            guard status == 0 else { throw TestFailure("\(p.name) failed (\(status)):\n\(p.stderr)") }
        }

        // The five intake workers, concurrently, each to the end offsets it sees at start.
        var running: [(Topic, ChildProcess)] = []
        for topic in Topic.departmentFeeds {
            let feed = topic.feedName!
            running.append(
                (topic, try children.start("intake-\(feed)", ["worker", "intake", "--feed", feed, "--brokers", brokers, "--stop-at-end"])))
        }
        var workers: [Topic: Output] = [:]
        for (topic, w) in running {
            let status = try await w.waitForExit(within: 240)
            workers[topic] = Output(name: w.name, status: status, stdout: w.stdout, stderr: w.stderr)
        }

        var inputs: [String: [KafkaConsumerMessage]] = [:]
        for topic in Topic.departmentFeeds { inputs[topic.rawValue] = try await cluster.readAll(topic.rawValue) }
        let run = IntakeFullRun(
            corpus: corpus, publishes: publishes, workers: workers,
            personEvents: try await cluster.readAll(Topic.personEvents.rawValue, within: 120),
            personEventEndOffsetSum: try await cluster.endOffsetSum(Topic.personEvents.rawValue),
            personEventPartitions: cluster.partitions[Topic.personEvents.rawValue]!,
            deadLetters: try await cluster.readAll(Topic.deadLetters.rawValue),
            deadLetterEndOffsetSum: try await cluster.endOffsetSum(Topic.deadLetters.rawValue),
            inputs: inputs)
        children.removeDirectory()
        return run
    }

    // MARK: what the corpus says must come out

    func expectedEvents(_ topic: Topic? = nil) -> [ExpectedEvent] {
        corpus.records.filter { topic == nil || $0.topic == topic }.flatMap { r -> [ExpectedEvent] in
            if case .events(let e) = r.outcome { return e }
            return []
        }
    }

    /// `topic reason` → count.
    var expectedDeadLetterReasons: [String: Int] {
        var out: [String: Int] = [:]
        for r in corpus.records {
            if case .deadLetter(let reason) = r.outcome { out["\(r.topic.rawValue) \(reason)", default: 0] += 1 }
        }
        return out
    }

    static func counted<T: Hashable>(_ items: some Sequence<T>) -> [T: Int] {
        var out: [T: Int] = [:]
        for i in items { out[i, default: 0] += 1 }
        return out
    }

    /// A readable difference between two multisets (at most `limit` entries each way).
    static func difference<T: Hashable & CustomStringConvertible>(expected: [T: Int], actual: [T: Int], limit: Int = 10) -> String {
        var missing: [String] = []
        var extra: [String] = []
        for (k, n) in expected where actual[k, default: 0] < n { missing.append("\(k) ×\(n - actual[k, default: 0])") }
        for (k, n) in actual where expected[k, default: 0] < n { extra.append("\(k) ×\(n - expected[k, default: 0])") }
        return "missing \(missing.count): \(missing.sorted().prefix(limit))\nunexpected \(extra.count): \(extra.sorted().prefix(limit))"
    }
}

@Suite("Intake end to end: 10,000 records through xiecha publish and five intake worker processes")
struct IntakeEndToEndTests {
    /// The corpus is what it claims: every line gets the outcome the test expects from the pure
    /// intake core too (so a failure below is in the worker or Kafka path, not in the corpus).
    @Test func corpusMatchesTheIntakeCore() throws {
        let corpus = IntakeCorpus.generate()
        #expect(corpus.records.count == 10_000)
        #expect(corpus.records.filter { !$0.isValid }.count == 500)
        #expect(corpus.houses.count - corpus.tombstoned.count == 50)
        var directory = AddressDirectory()
        for line in corpus.directoryLines {
            let bytes = Array(line.utf8)
            if case .object(let o) = try JSONParser.parse(bytes), let k = o["key"], case .string(let key) = k {
                #expect(directory.apply(key: key, value: nil) == nil)
            } else {
                #expect(directory.apply(key: nil, value: bytes) == nil)
            }
        }
        #expect(directory.count == 50)
        let processor = IntakeProcessor()
        let ts = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        var mismatches: [String] = []
        for r in corpus.records {
            let result = processor.process(topic: r.topic, value: r.bytes, timestamp: ts, directory: directory)
            switch (result, r.outcome) {
            case (.events(let events), .events(let expected)):
                let actual = events.map {
                    ExpectedEvent(
                        source: $0.source.rawValue, recordId: $0.recordId, role: $0.role.rawValue, idNumber: $0.person.idNumber,
                        community: $0.residence?.community.code)
                }
                if actual != expected { mismatches.append("\(r.recordId): \(actual) != \(expected)") }
            case (.deadLetter(let reason, let recordId), .deadLetter(let expected)):
                if reason.code != expected { mismatches.append("\(r.recordId): reason \(reason.code), expected \(expected)") }
                let expectedId: String? = expected == "not_json" ? nil : r.recordId
                if recordId != expectedId { mismatches.append("\(r.recordId): recordId \(recordId ?? "nil")") }
            case (.events, .deadLetter(let expected)):
                mismatches.append("\(r.recordId): valid, expected dead letter \(expected)")
            case (.deadLetter(let reason, _), .events):
                mismatches.append("\(r.recordId): dead letter \(reason.code), expected valid")
            }
            let key = try? IntakeProcessor.recordKey(topic: r.topic, value: r.bytes)
            if key != r.key { mismatches.append("\(r.recordId): publish key differs from the expected one") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(10))")
    }

    @Test func publishSendsEveryLineWithTheDesignKeys() async throws {
        let run = try await IntakeFullRun.shared.value
        for p in run.publishes { #expect(p.status == 0, "\(p.name): \(p.stderr)") }
        let dir = run.publishes.first { $0.name.hasSuffix(Topic.addressDirectory.rawValue) }
        #expect(dir?.stderr.contains("published 56 records to ref.address-directory.v1 (0 without a key)") == true, "\(dir?.stderr ?? "")")
        for topic in Topic.departmentFeeds {
            let p = run.publishes.first { $0.name.hasSuffix(topic.rawValue) }
            #expect(p?.stderr.contains("published 2000 records to \(topic.rawValue) (20 without a key)") == true, "\(p?.stderr ?? "")")
            // The input topic holds the lines in file order per key, each with its design key.
            let inputs = run.inputs[topic.rawValue] ?? []
            #expect(inputs.count == 2_000)
            let expected = IntakeFullRun.counted(run.corpus.records(for: topic).map { KeyedLine(key: $0.key, line: $0.line) })
            let actual = IntakeFullRun.counted(inputs.map { KeyedLine(key: $0.key.map { String(decoding: $0, as: UTF8.self) }, line: String(decoding: $0.value ?? [], as: UTF8.self)) })
            #expect(actual == expected, "\(topic.rawValue): published messages differ from the corpus")
        }
    }

    @Test func summariesCountEveryRecord() async throws {
        let run = try await IntakeFullRun.shared.value
        for topic in Topic.departmentFeeds {
            let w = try #require(run.workers[topic])
            #expect(w.status == 0, "\(w.name) exited \(w.status); stderr tail:\n\(w.stderr.suffix(3000))")
            let lines = w.stdout.split(separator: "\n", omittingEmptySubsequences: true)
            try #require(lines.count == 1, "\(w.name) stdout must be exactly the summary line, got \(lines.count) lines")
            let summary = try JSONDecoder().decode(WorkerSummary.self, from: Data(lines[0].utf8))
            #expect(summary.worker == "intake-\(topic.feedName!)")
            #expect(summary.records == 2_000)
            #expect(summary.deadLetters == 100)
            #expect(summary.out == run.expectedEvents(topic).count)
            #expect(summary.seconds > 0 && summary.recordsPerSecond > 0)
        }
    }

    @Test func personEventsAreExactlyTheFanOut() async throws {
        let run = try await IntakeFullRun.shared.value
        let expected = run.expectedEvents()
        // permit 1, marriage 2, licence 1, enrolment 1 + guardians, certificate 1 + spouse (married ones).
        #expect(run.expectedEvents(.residencePermits).count == 1_900)
        #expect(run.expectedEvents(.marriageRegistrations).count == 3_800)
        #expect(run.expectedEvents(.businessLicenses).count == 1_900)
        let certificateEvents = run.expectedEvents(.certificates)
        #expect(certificateEvents.filter { $0.role == "certificate_holder" }.count == 1_900)
        #expect(certificateEvents.filter { $0.role == "spouse" }.count > 300)  // the married quarter
        #expect(certificateEvents.allSatisfy { $0.role == "certificate_holder" || $0.role == "spouse" })
        #expect(run.expectedEvents(.schoolEnrollments).count > 1_900)
        #expect(run.personEventEndOffsetSum == Int64(expected.count))
        #expect(run.personEvents.count == expected.count)

        var decoded: [ExpectedEvent] = []
        var eventIds = Set<String>()
        var keyMismatches = 0
        var undecodable: [String] = []
        for m in run.personEvents {
            do {
                let e = try PersonEvent(jsonBytes: m.value ?? [])
                decoded.append(
                    ExpectedEvent(
                        source: e.source.rawValue, recordId: e.recordId, role: e.role.rawValue, idNumber: e.person.idNumber,
                        community: e.residence?.community.code))
                eventIds.insert(e.eventId)
                if m.key != Array(e.person.idNumber.utf8) { keyMismatches += 1 }
            } catch {
                undecodable.append("\(m.partition)/\(m.offset): \(error)")
            }
        }
        #expect(undecodable.isEmpty, "\(undecodable.prefix(5))")
        #expect(keyMismatches == 0, "person events whose key is not the person's ID number")
        #expect(eventIds.count == run.personEvents.count, "event ids must be unique")
        let e = IntakeFullRun.counted(expected)
        let a = IntakeFullRun.counted(decoded)
        #expect(a == e, "\(IntakeFullRun.difference(expected: e, actual: a))")
    }

    @Test func deadLettersCarryReasonSourceAndOriginalBytes() async throws {
        let run = try await IntakeFullRun.shared.value
        #expect(run.deadLetterEndOffsetSum == 500)
        #expect(run.deadLetters.count == 500)
        // Source coordinates → the message the department published.
        var byCoordinates: [SourceCoordinates: KafkaConsumerMessage] = [:]
        for (topic, messages) in run.inputs {
            for m in messages { byCoordinates[SourceCoordinates(topic: topic, partition: m.partition, offset: m.offset)] = m }
        }
        var byLine: [String: CorpusRecord] = [:]
        for r in run.corpus.records { byLine[r.line] = r }

        var reasons: [String] = []
        var sources = Set<SourceCoordinates>()
        var problems: [String] = []
        for d in run.deadLetters {
            let reason = d.headerString(DeadLetter.Header.reason) ?? "<none>"
            let topic = d.headerString(DeadLetter.Header.sourceTopic) ?? "<none>"
            reasons.append("\(topic) \(reason)")
            guard let partition = d.headerString(DeadLetter.Header.sourcePartition).flatMap(Int32.init),
                let offset = d.headerString(DeadLetter.Header.sourceOffset).flatMap(Int64.init)
            else {
                problems.append("dead letter \(d.partition)/\(d.offset) without source partition/offset headers")
                continue
            }
            let at = SourceCoordinates(topic: topic, partition: partition, offset: offset)
            guard sources.insert(at).inserted else {
                problems.append("two dead letters for \(at)")
                continue
            }
            guard let source = byCoordinates[at] else {
                problems.append("dead letter names \(at), which holds no record")
                continue
            }
            if d.value != source.value { problems.append("\(at): dead-letter value is not the original bytes") }
            if d.key != source.key { problems.append("\(at): dead-letter key is not the original key") }
            guard let record = byLine[String(decoding: source.value ?? [], as: UTF8.self)] else {
                problems.append("\(at): source record is not in the corpus")
                continue
            }
            guard case .deadLetter(let expectedReason) = record.outcome else {
                problems.append("\(at): valid record \(record.recordId) was dead-lettered (\(reason))")
                continue
            }
            if reason != expectedReason { problems.append("\(record.recordId): reason \(reason), expected \(expectedReason)") }
            let recordIdHeader = d.headerString(DeadLetter.Header.recordId)
            let expectedRecordId: String? = expectedReason == "not_json" ? nil : record.recordId
            if recordIdHeader != expectedRecordId {
                problems.append("\(record.recordId): record-id header \(recordIdHeader ?? "absent")")
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(10))")
        let e = run.expectedDeadLetterReasons
        let a = IntakeFullRun.counted(reasons)
        #expect(a == e, "\(IntakeFullRun.difference(expected: e, actual: a))")
        // 5 kinds × 20 per feed.
        #expect(e.values.reduce(0, +) == 500)
    }

    @Test func unknownHousesGoToUnassigned() async throws {
        let run = try await IntakeFullRun.shared.value
        let expectedUnassigned = Set(run.expectedEvents().filter { $0.community == "unassigned" })
        #expect(expectedUnassigned.count > 100, "the corpus must exercise unknown and removed houses")
        var unassigned = Set<ExpectedEvent>()
        var streetProblems = 0
        var movedHouse = 0
        let moved = Set(run.corpus.houses.prefix(2).map(\.houseId))
        for m in run.personEvents {
            let e = try PersonEvent(jsonBytes: m.value ?? [])
            guard let residence = e.residence else { continue }
            let key = ExpectedEvent(
                source: e.source.rawValue, recordId: e.recordId, role: e.role.rawValue, idNumber: e.person.idNumber,
                community: residence.community.code)
            if residence.community.code == "unassigned" {
                unassigned.insert(key)
                if residence.street != nil { streetProblems += 1 }
            } else if residence.street == nil {
                streetProblems += 1
            }
            if moved.contains(residence.houseId) {
                movedHouse += 1
                #expect(residence.community.code == "421125002005", "the directory's newest value for a house wins")
            }
        }
        #expect(unassigned == expectedUnassigned, "\(unassigned.subtracting(expectedUnassigned).count) unexpected, \(expectedUnassigned.subtracting(unassigned).count) missing")
        #expect(streetProblems == 0, "unassigned events have no street, assigned ones have one")
        #expect(movedHouse > 0)
    }

    @Test func everyEventOfOnePersonLandsOnOnePartition() async throws {
        let run = try await IntakeFullRun.shared.value
        var partitions: [[UInt8]: Set<Int32>] = [:]
        for m in run.personEvents { partitions[m.key ?? [], default: []].insert(m.partition) }
        let split = partitions.filter { $0.value.count > 1 }
        #expect(split.isEmpty, "\(split.count) people have events on more than one partition")
        #expect(partitions[[]] == nil, "person events without a key")
        // Meaningful only if people recur across records and feeds, and partitions are used.
        var perPerson: [[UInt8]: Int] = [:]
        for m in run.personEvents { perPerson[m.key ?? [], default: 0] += 1 }
        #expect(perPerson.values.filter { $0 > 1 }.count > 1_000)
        #expect(Set(run.personEvents.map(\.partition)).count == Int(run.personEventPartitions))
    }

    @Test func outputCarriesNoIDNumbersOrNames() async throws {
        let run = try await IntakeFullRun.shared.value
        var lines: [(source: String, line: String)] = []
        for o in run.workers.values.sorted(by: { $0.name < $1.name }) + run.publishes {
            for l in o.stdout.split(separator: "\n") { lines.append(("\(o.name) stdout", String(l))) }
            for l in o.stderr.split(separator: "\n") { lines.append(("\(o.name) stderr", String(l))) }
        }
        // The workers did log (one warning per dead letter at least), so the scan saw real output.
        let workerLines = run.workers.values.reduce(0) { $0 + $1.stderr.split(separator: "\n").count }
        #expect(workerLines >= 500)
        #expect(run.corpus.allIDNumbers.count > 3_000)
        let findings = PrivacyScan.findings(in: lines, idNumbers: run.corpus.allIDNumbers, names: run.corpus.allNames)
        #expect(findings.isEmpty, "\(findings.count) lines with personal data, first: \(findings.prefix(10))")
    }
}

struct KeyedLine: Hashable, CustomStringConvertible {
    var key: String?
    var line: String
    var description: String { "key \(key ?? "nil"), \(line.utf8.count) bytes" }
}

struct SourceCoordinates: Hashable, CustomStringConvertible {
    var topic: String
    var partition: Int32
    var offset: Int64
    var description: String { "\(topic)[\(partition)]@\(offset)" }
}
