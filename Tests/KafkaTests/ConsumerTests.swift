import Foundation
import Kafka
import Synchronization
import Testing

@Suite("Consumer", .timeLimit(.minutes(5)))
struct ConsumerTests {
    func produce(_ cluster: TestCluster, topic: String, range: Range<Int>, valueSize: Int = 0) async throws {
        let producer = try cluster.producer()
        let padding = [UInt8](repeating: UInt8(ascii: "x"), count: valueSize)
        for i in range {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k\(i % 101)", value: Array("m\(i)|".utf8) + padding))
        }
        try await producer.awaitDeliveries()
        await producer.shutdown()
    }

    static func work(
        _ name: String, _ consumer: KafkaConsumer, stopAfter: Int?, total: Int, processed: Processed,
        perConsumer: PerConsumer
    ) async throws {
        var mine = 0
        for await m in consumer.messages {
            processed.record(m.value!.utf8String)
            try consumer.storeOffsets([m])
            mine += 1
            perConsumer.add(name)
            if let stopAfter, mine >= stopAfter { break }
            if processed.unique >= total { break }
            // Slow enough that both members hold partitions for a while.
            if mine % 500 == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test("Two consumers share 6 partitions; one leaves mid-stream; all processed, duplicates bounded; restart resumes")
    func groupSharing() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic("group", partitions: 6)
        let total = 30_000
        try await produce(cluster, topic: topic, range: 0..<total)
        let group = "share-\(topic)"
        let batch = 200
        let processed = Processed()
        let perConsumer = PerConsumer()
        func makeConsumer() throws -> KafkaConsumer {
            try cluster.consumer(group: group) {
                $0.maxBatchSize = batch
                $0.autoCommitInterval = .milliseconds(200)
            }
        }
        let a = try makeConsumer()
        let b = try makeConsumer()
        try a.subscribe(topics: [topic])
        try b.subscribe(topics: [topic])

        try await withDeadline(180, "group consumption") {
            try await withThrowingTaskGroup(of: Void.self) { g in
                g.addTask { try await Self.work("a", a, stopAfter: nil, total: total, processed: processed, perConsumer: perConsumer) }
                g.addTask {
                    try await Self.work("b", b, stopAfter: 4_000, total: total, processed: processed, perConsumer: perConsumer)
                    await b.close()  // leaves the group mid-stream; a takes over its partitions
                }
                try await g.waitForAll()
            }
        }
        #expect(processed.unique == total, "every message processed at least once")
        #expect(perConsumer.count("b") >= 4_000, "b took part before it left")
        // In-flight window: the batch a member holds when its partitions are revoked, per rebalance.
        #expect(processed.duplicates <= 2 * batch, "duplicates \(processed.duplicates) exceed the in-flight window")
        try await a.commit()
        await a.close()

        let admin = try cluster.admin()
        let ends = try await admin.endOffsets(topic: topic)
        let committed = try await admin.committedOffsets(group: group, topic: topic)
        for (tp, end) in ends { #expect(committed[tp] == end, "\(tp) committed \(String(describing: committed[tp])) vs end \(end)") }

        // Restart: a new member resumes at the committed offsets and reads only the new messages.
        try await produce(cluster, topic: topic, range: total..<(total + 600))
        let c = try makeConsumer()
        try c.subscribe(topics: [topic])
        let resumed = try await withDeadline(60, "restart") {
            var firstOffset: [Int32: Int64] = [:]
            var values: Set<String> = []
            for await m in c.messages {
                if firstOffset[m.partition] == nil { firstOffset[m.partition] = m.offset }
                values.insert(m.value!.utf8String)
                try c.storeOffsets([m])
                if values.count == 600 { break }
            }
            return (firstOffset, values)
        }
        #expect(resumed.1 == Set((total..<(total + 600)).map { "m\($0)|" }))
        for (p, first) in resumed.0 {
            #expect(first == ends[KafkaTopicPartition(topic: topic, partition: p)], "partition \(p) resumed at \(first)")
        }
        await c.close()
        admin.close()
    }

    @Test("Shutdown with messages in flight commits only what was processed")
    func shutdownCommitsProcessedOnly() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("inflight", partitions: 1)
        try await produce(cluster, topic: topic, range: 0..<1_000)
        let group = "inflight-\(topic)"
        let consumer = try cluster.consumer(group: group) { $0.maxBatchSize = 100 }
        try consumer.subscribe(topics: [topic])
        try await withDeadline(60, "partial processing") {
            var seen = 0
            for await m in consumer.messages {
                seen += 1
                if seen <= 300 { try consumer.storeOffsets([m]) }
                if seen == 450 { break }  // 150 read but not processed, more buffered
            }
        }
        await consumer.close()
        let admin = try cluster.admin()
        let committed = try await admin.committedOffsets(group: group, topic: topic)
        #expect(committed[KafkaTopicPartition(topic: topic, partition: 0)] == 300)
        let again = try cluster.consumer(group: group)
        try again.subscribe(topics: [topic])
        let first = try await withDeadline(60, "resume") {
            for await m in again.messages { return m.offset }
            return -1
        }
        #expect(first == 300)
        await again.close()
        admin.close()
    }

    @Test("A committed offset below the log start is reported with the gap, not skipped silently")
    func offsetGapReported() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("gap", partitions: 1)
        try await produce(cluster, topic: topic, range: 0..<100)
        let group = "gap-\(topic)"
        let first = try cluster.consumer(group: group)
        try first.subscribe(topics: [topic])
        try await withDeadline(60, "first read") {
            var n = 0
            for await m in first.messages {
                try first.storeOffsets([m])
                n += 1
                if n == 100 { break }
            }
        }
        await first.close()
        // ~8 MiB more: the embedded cluster keeps only the newest ~5 MiB of a partition.
        try await produce(cluster, topic: topic, range: 100..<8_100, valueSize: 1_024)
        let admin = try cluster.admin()
        let marks = try await admin.watermarks(topic: topic)
        let logStart = marks[0]!.low
        #expect(logStart > 100, "the mock dropped old data (log start \(logStart))")
        let second = try cluster.consumer(group: group)
        try second.subscribe(topics: [topic])
        let firstOffset = try await withDeadline(60, "read after truncation") {
            for await m in second.messages { return m.offset }
            return -1
        }
        #expect(firstOffset == logStart)
        let gaps = second.offsetGaps
        #expect(gaps.count == 1)
        #expect(gaps.first?.expectedOffset == 100)
        #expect(gaps.first?.receivedOffset == logStart)
        #expect(gaps.first?.missingCount == logStart - 100)
        await second.close()
        admin.close()
    }

    @Test("Seek replays a partition from an earlier offset")
    func seekReplays() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("seek", partitions: 1)
        try await produce(cluster, topic: topic, range: 0..<50)
        let consumer = try cluster.consumer(group: "seek-\(topic)")
        try consumer.subscribe(topics: [topic])
        let replayed = try await withDeadline(60, "seek") {
            var offsets: [Int64] = []
            var didSeek = false
            for await m in consumer.messages {
                offsets.append(m.offset)
                if m.offset == 49 && !didSeek {
                    didSeek = true
                    try await consumer.seek([KafkaTopicPartition(topic: topic, partition: 0): 10])
                    continue
                }
                if didSeek && m.offset == 49 { break }
            }
            return offsets
        }
        #expect(Array(replayed.prefix(50)) == Array(0..<50))
        #expect(Array(replayed.dropFirst(50)) == Array(10..<50))
        await consumer.close()
    }
}

final class PerConsumer: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func add(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
    func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
}
