import Foundation
import Kafka
import Testing
import XiechaCore
import XiechaWorkers

@Suite("Intake worker process: bad input becomes dead letters and the worker moves on")
struct IntakeBadInputTests {
    /// Records over 1 MiB are dead letters. 5,000,000 bytes (≈ 4.77 MiB): the embedded cluster
    /// keeps at most 5 MiB per partition and, on appending, drops the oldest batches until the
    /// partition is within that (rdkafka_mock.c, rd_kafka_mock_msgset_new), so a record of a
    /// full 5 MiB would be dropped as soon as the following record arrives in its partition.
    static let largeRecordBytes = 5_000_000

    static func permit(recordId: String, permitNo: String, idNumber: String, padding: Int = 0) -> [UInt8] {
        var doc: JSONDoc = .object([
            ("recordId", .string(recordId)),
            ("event", .string("registered")),
            ("permitNo", .string(permitNo)),
            ("person", .object([
                ("idNumber", .string(idNumber)), ("name", .string("测试甲")), ("sex", .string("F")),
                ("birthDate", .string("1994-05-12")), ("hukouRegion", .string("510623")),
            ])),
            ("address", .object([("houseId", .string("421125-001-003-0101")), ("text", .string("清泉镇沿河路18号1单元101"))])),
            ("arrivalDate", .string("2026-09-01")),
            ("issuedAt", .string("2026-09-03")),
            ("validUntil", .string("2027-09-02")),
            ("office", .string("清泉派出所")),
        ])
        if padding > 0 {
            let base = doc.rendered().utf8.count + ",\"padding\":\"\"".utf8.count
            doc = doc.updating([.field("padding")]) { _ in .string(String(repeating: "x", count: padding - base)) }
        }
        return Array(doc.rendered().utf8)
    }

    @Test func badValuesAreDeadLetteredAndTheWorkerKeepsGoing() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "intake-bad-input")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1)
        defer { cluster.shutdown() }
        let topic = Topic.residencePermits.rawValue

        let id = IDNumber.make(region: "510623", birthDate: LocalDate(iso: "1994-05-12")!, sequence: 128).value
        let large = Self.permit(recordId: "rp-bad-large", permitNo: "4211252026990002", idNumber: id, padding: Self.largeRecordBytes)
        try #require(large.count == Self.largeRecordBytes)
        var invalidUTF8 = Array(#"{"recordId":"rp-bad-utf8","name":""#.utf8)
        invalidUTF8 += [0xE7, 0x8E, 0xFF, 0xFE, 0xC0, 0x80]
        invalidUTF8 += Array(#""}"#.utf8)
        let valid = Self.permit(recordId: "rp-good-1", permitNo: "4211252026990001", idNumber: id)
        // In this order, all in partition 0; the reason each must get.
        let inputs: [(key: String?, value: [UInt8]?, reason: String?)] = [
            ("bad-not-json", Array("this is not JSON {\"recordId\": ".utf8), "not_json"),
            ("bad-utf8", invalidUTF8, "invalid_utf8"),
            ("bad-large", large, "record_too_large"),
            ("bad-empty", [], "empty_value"),
            (nil, nil, "empty_value"),
            ("4211252026990001", valid, nil),
        ]

        // librdkafka refuses messages over `message.max.bytes` (default 1,000,000) before
        // sending; the embedded broker takes them.
        let producer = try cluster.producer(properties: ["message.max.bytes": "10000000"])
        for i in inputs {
            try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: i.key.map { Array($0.utf8) }, value: i.value))
            try await producer.awaitDeliveries()  // one at a time: their offsets are their positions
        }
        await producer.shutdown()

        let worker = try children.start(
            "intake-residence-permits", ["worker", "intake", "--feed", "residence-permits", "--brokers", cluster.bootstrap, "--stop-at-end"])
        let status = try await worker.waitForExit(within: 180)
        #expect(status == 0, "worker exited \(status); stderr tail:\n\(worker.stderr.suffix(4000))")
        let lines = worker.stdout.split(separator: "\n")
        try #require(lines.count == 1, "stdout must be exactly the summary line; stderr tail:\n\(worker.stderr.suffix(4000))")
        let summary = try JSONDecoder().decode(WorkerSummary.self, from: Data(lines[0].utf8))
        #expect(summary.records == 6)
        #expect(summary.out == 1)
        #expect(summary.deadLetters == 5)

        // The input is intact (nothing was dropped by the embedded cluster).
        let published = try await cluster.readAll(topic)
        try #require(published.count == inputs.count)
        for (i, m) in published.enumerated() {
            #expect(m.partition == 0 && m.offset == Int64(i))
            #expect(m.value == inputs[i].value, "offset \(i): the value read back differs from the one produced")
        }

        // One dead letter per bad record, with its reason, source and original bytes.
        let deadLetters = try await cluster.readAll(Topic.deadLetters.rawValue)
        #expect(deadLetters.count == 5)
        var seen: [Int64: String] = [:]
        for d in deadLetters {
            #expect(d.headerString(DeadLetter.Header.sourceTopic) == topic)
            #expect(d.headerString(DeadLetter.Header.sourcePartition) == "0")
            let offset = try #require(d.headerString(DeadLetter.Header.sourceOffset).flatMap(Int64.init))
            let reason = d.headerString(DeadLetter.Header.reason) ?? "<none>"
            #expect(seen.updateValue(reason, forKey: offset) == nil, "two dead letters for offset \(offset)")
            let source = try #require(inputs.indices.contains(Int(offset)) ? inputs[Int(offset)] : nil)
            #expect(reason == source.reason, "offset \(offset): reason \(reason), expected \(source.reason ?? "none (valid)")")
            #expect(d.value == source.value, "offset \(offset): the dead letter's value is not the original bytes")
            #expect(d.key == source.key.map { Array($0.utf8) }, "offset \(offset): the dead letter's key is not the original key")
        }
        #expect(seen == [0: "not_json", 1: "invalid_utf8", 2: "record_too_large", 3: "empty_value", 4: "empty_value"])

        // The valid record after them became its person event.
        let events = try await cluster.readAll(Topic.personEvents.rawValue)
        try #require(events.count == 1)
        let event = try PersonEvent(jsonBytes: events[0].value ?? [])
        #expect(event.recordId == "rp-good-1")
        #expect(event.person.idNumber == id)
        #expect(events[0].key == Array(id.utf8))
        #expect(event.residence?.community.code == "unassigned")  // the directory is empty here

        // The group's committed offset is past all of them.
        let committed = try await cluster.committedOffsets(group: "xiecha-intake-residence-permits", topic: topic)
        let committedAtZero: Int64? = committed[KafkaTopicPartition(topic: topic, partition: 0)] ?? nil
        #expect(committedAtZero == 6)
        for (tp, offset) in committed where tp.partition != 0 {
            #expect(offset == nil, "\(tp) holds no records, yet has a committed offset \(offset ?? -1)")
        }

        // Nothing personal in what the worker printed.
        var out: [(source: String, line: String)] = []
        for l in worker.stdout.split(separator: "\n") { out.append(("stdout", String(l))) }
        for l in worker.stderr.split(separator: "\n") { out.append(("stderr", String(l))) }
        let findings = PrivacyScan.findings(in: out, idNumbers: [id], names: ["测试甲"])
        #expect(findings.isEmpty, "\(findings)")
        if status == 0 { children.removeDirectory() }
    }
}
