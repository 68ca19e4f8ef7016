import Foundation
import Kafka
import Testing

@Suite("Producer", .timeLimit(.minutes(5)))
struct ProducerTests {
    @Test("100,000 keyed messages with headers round-trip, in order per key, each with an offset")
    func roundTrip() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic("roundtrip", partitions: 8)
        let producer = try cluster.producer()
        let total = 100_000
        let keys = 1_000
        var receipts: [KafkaDeliveryReceipt] = []
        receipts.reserveCapacity(total)
        for i in 0..<total {
            let key = "key-\(i % keys)"
            let message = KafkaProducerMessage(
                topic: topic, key: key, value: Array("\(key)|\(i / keys)".utf8),
                headers: [KafkaHeader(key: "seq", string: "\(i)"), KafkaHeader(key: "source", string: "test")])
            receipts.append(try await producer.sendWithReceipt(message))
        }
        var reports: [KafkaDeliveryReport] = []
        for r in receipts { reports.append(try await r.report()) }
        #expect(reports.count == total)
        #expect(reports.allSatisfy { $0.offset >= 0 && $0.topic == topic })
        // Offsets are unique per partition and cover 0..<count exactly.
        let byPartition = Dictionary(grouping: reports, by: \.partition)
        for (_, rs) in byPartition {
            #expect(Set(rs.map(\.offset)) == Set(0..<Int64(rs.count)))
        }
        await producer.shutdown()

        let consumer = try cluster.consumer(group: "rt-\(topic)")
        try consumer.subscribe(topics: [topic])
        let result = try await withDeadline(120, "consume 100k") {
            var lastSeq: [String: Int] = [:]
            var partitionOfKey: [String: Int32] = [:]
            var count = 0
            var outOfOrder = 0
            var headersOK = 0
            for await m in consumer.messages {
                let key = m.key!.utf8String
                let parts = m.value!.utf8String.split(separator: "|")
                #expect(String(parts[0]) == key)
                let seq = Int(parts[1])!
                if let last = lastSeq[key], seq != last + 1 { outOfOrder += 1 }
                if lastSeq[key] == nil, seq != 0 { outOfOrder += 1 }
                lastSeq[key] = seq
                if let p = partitionOfKey[key], p != m.partition { outOfOrder += 1 }
                partitionOfKey[key] = m.partition
                if m.headers[header: "source"]?.stringValue == "test", m.headers[header: "seq"]?.stringValue != nil {
                    headersOK += 1
                }
                count += 1
                if count == total { break }
            }
            return (count, outOfOrder, headersOK, lastSeq.count)
        }
        #expect(result.0 == total)
        #expect(result.1 == 0)
        #expect(result.2 == total)
        #expect(result.3 == keys)
        await consumer.close()
    }

    @Test("A broker down and back during production: nothing lost, nothing duplicated")
    func brokerDownAndUp() async throws {
        let cluster = try TestCluster(brokers: 3)
        let topic = try cluster.topic("brokerdown", partitions: 6)
        let producer = try cluster.producer { $0.linger = .milliseconds(2) }
        let total = 20_000
        for i in 0..<total {
            if i == 5_000 { try cluster.kafka.setBrokerDown(1) }
            if i == 15_000 {
                try await Task.sleep(for: .seconds(2))
                try cluster.kafka.setBrokerUp(1)
            }
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k\(i % 97)", value: Array("v\(i)".utf8)))
            if i % 1_000 == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await producer.awaitDeliveries()
        await producer.shutdown()

        let consumer = try cluster.consumer(group: "bd-\(topic)")
        try consumer.subscribe(topics: [topic])
        let processed = Processed()
        try await withDeadline(120, "consume after broker restart") {
            for await m in consumer.messages {
                processed.record(m.value!.utf8String)
                if processed.total == total { break }
            }
        }
        // Give any duplicate a chance to arrive, then check exactly-once on the log.
        let admin = try cluster.admin()
        let ends = try await admin.endOffsets(topic: topic)
        #expect(ends.values.reduce(0, +) == Int64(total), "log holds exactly the messages sent, no duplicates")
        #expect(processed.unique == total)
        #expect(processed.duplicates == 0)
        #expect(processed.ids == Set((0..<total).map { "v\($0)" }))
        admin.close()
        await consumer.close()
    }

    @Test("A message that cannot be delivered in time fails its caller with a typed timeout error")
    func deliveryTimeout() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("timeout", partitions: 1)
        let producer = try cluster.producer { $0.messageTimeout = .milliseconds(1500) }
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "a", value: [1]))
        try cluster.kafka.setBrokerDown(1)
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "a", value: [2]))
        }
        #expect(error?.code == .delivery)
        #expect(error?.rdKafkaErrorName == "_MSG_TIMED_OUT")
        // The same failure also reaches the barrier for fire-and-forget sends.
        try await producer.send(KafkaProducerMessage(topic: topic, key: "a", value: [3]))
        let failures = await #expect(throws: KafkaDeliveryFailures.self) { try await producer.awaitDeliveries() }
        #expect(failures?.failures.count == 1)
        #expect(failures?.failures.first?.error.rdKafkaErrorName == "_MSG_TIMED_OUT")
        try cluster.kafka.setBrokerUp(1)
        await producer.shutdown()
    }

    @Test("A produce the broker rejects surfaces the broker's error to the awaiting caller")
    func brokerRejects() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("rejected", partitions: 1)
        let producer = try cluster.producer {
            $0.idempotence = false
            $0.client.properties["topic.metadata.refresh.interval.ms"] = "500"
        }
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "a", value: [1]))
        cluster.kafka.pushRequestErrors(
            apiKey: EmbeddedKafka.ApiKey.produce, errors: [EmbeddedKafka.ErrorCode.topicAuthorizationFailed])
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "a", value: [2]))
        }
        #expect(error?.code == .delivery)
        #expect(error?.rdKafkaErrorName == "TOPIC_AUTHORIZATION_FAILED")
        // librdkafka keeps the topic in error until its next metadata refresh; then sending works again.
        var delivered: KafkaDeliveryReport? = nil
        for _ in 0..<50 where delivered == nil {
            delivered = try? await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "a", value: [3]))
            if delivered == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(delivered?.offset == 1, "the rejected message was not written; the next one is offset 1")
        await producer.shutdown()
    }

    @Test("Delivery groups complete independently; a group's failure stays with that group")
    func deliveryGroups() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("groups", partitions: 4)
        let producer = try cluster.producer { $0.messageTimeout = .milliseconds(1500) }
        // Two groups delivered: both complete, nothing reaches the producer-wide barrier.
        let first = KafkaDeliveryGroup()
        let second = KafkaDeliveryGroup()
        for i in 0..<2_000 {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k\(i % 50)", value: [UInt8(i % 256)]), in: i < 1_000 ? first : second)
        }
        #expect(!first.isComplete, "an unsealed group is never complete")
        first.seal()
        second.seal()
        try await first.awaitDeliveries()
        try await second.awaitDeliveries()
        #expect(first.isComplete && second.isComplete)
        #expect(first.inFlightCount == 0 && second.inFlightCount == 0)
        try await producer.awaitDeliveries()
        let ends = try await cluster.admin().endOffsets(topic: topic)
        #expect(ends.values.reduce(0, +) == 2_000)
        // An empty sealed group is complete at once.
        let empty = KafkaDeliveryGroup()
        empty.seal()
        #expect(empty.isComplete)
        try await empty.awaitDeliveries()
        // A group whose messages cannot be delivered fails with the broker-side reason, exactly once.
        try cluster.kafka.setBrokerDown(1)
        let failing = KafkaDeliveryGroup()
        for i in 0..<10 { try await producer.send(KafkaProducerMessage(topic: topic, key: "k\(i)", value: [1]), in: failing) }
        failing.seal()
        let failures = await #expect(throws: KafkaDeliveryFailures.self) { try await failing.awaitDeliveries() }
        #expect(failures?.failures.count == 10)
        #expect(failures?.failures.allSatisfy { $0.error.rdKafkaErrorName == "_MSG_TIMED_OUT" } == true)
        // The group owned those failures: the producer-wide barrier has none to report.
        try await producer.awaitDeliveries()
        try cluster.kafka.setBrokerUp(1)
        await producer.shutdown()
    }

    @Test("Tombstones and null keys are sent and read back as nil")
    func tombstones() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("tomb", partitions: 1)
        let producer = try cluster.producer()
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "house-1", value: nil))
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: nil as [UInt8]?, value: [7, 0, 7]))
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "", value: []))
        await producer.shutdown()
        let consumer = try cluster.consumer(group: "tomb-\(topic)")
        try consumer.subscribe(topics: [topic])
        let got = try await withDeadline(60, "read tombstones") {
            var got: [KafkaConsumerMessage] = []
            for await m in consumer.messages {
                got.append(m)
                if got.count == 3 { break }
            }
            return got
        }
        #expect(got[0].key == Array("house-1".utf8) && got[0].value == nil)
        #expect(got[1].key == nil && got[1].value == [7, 0, 7])
        #expect(got[2].key == [] && got[2].value == [])
        await consumer.close()
    }

    @Test("An unknown or invalid property is rejected at start-up, naming the property")
    func badProperty() async throws {
        let cluster = try TestCluster(brokers: 1)
        let unknown = #expect(throws: KafkaError.self) {
            _ = try cluster.producer { $0.client.properties["no.such.property"] = "1" }
        }
        #expect(unknown?.code == .configuration)
        #expect(unknown?.message.contains("no.such.property") == true)
        let invalid = #expect(throws: KafkaError.self) {
            _ = try cluster.consumer(group: "g") { $0.client.properties["session.timeout.ms"] = "soon" }
        }
        #expect(invalid?.code == .configuration)
        #expect(invalid?.message.contains("session.timeout.ms") == true)
        // TLS settings pass through unchanged to librdkafka, which accepts them.
        let tls = try cluster.producer { $0.client.properties["security.protocol"] = "plaintext" }
        await tls.shutdown()
    }
}
