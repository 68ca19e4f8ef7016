import Foundation
import Kafka
import Testing

/// The waits for room (consumer buffer, producer queue) against the embedded cluster: they
/// resume when room appears and end promptly at shutdown.
@Suite("Back-pressure waits", .timeLimit(.minutes(3)))
struct BackPressureTests {
    @Test("stopReading and close return promptly while the poll thread waits for buffer room")
    func consumerStopWhileBufferFull() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("bp-consumer", partitions: 1)
        let producer = try cluster.producer()
        for i in 0..<2_000 { try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: Array("m\(i)".utf8))) }
        try await producer.awaitDeliveries()
        await producer.shutdown()

        let consumer = try cluster.consumer(group: "bp-\(topic)") {
            $0.maxBatchSize = 10
            $0.maxBufferedBatches = 1
        }
        try consumer.subscribe(topics: [topic])
        let batches = consumer.batches
        let first = try await withDeadline(60, "first batch") {
            for await b in batches { return b }
            return []
        }
        #expect(first.first?.offset == 0)
        // The application stops taking batches: the buffer fills and the poll thread waits for room.
        try await Task.sleep(for: .milliseconds(500))
        try await withDeadline(30, "stopReading") { await consumer.stopReading() }
        let rest = try await withDeadline(10, "batches end") {
            var n = 0
            for await _ in batches { n += 1 }
            return n
        }
        #expect(rest == 0, "stopReading drops what was buffered and ends the sequence")
        try await withDeadline(30, "close") { await consumer.close() }
    }

    @Test("Senders wait for room in a tiny producer queue and every message arrives once")
    func producerWaitsForQueueSpace() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("bp-producer", partitions: 2)
        let producer = try cluster.producer {
            $0.maxQueuedMessages = 5
            $0.linger = .zero
        }
        let perTask = 1_000
        try await withDeadline(60, "send through a 5-message queue") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<4 {
                    group.addTask {
                        for i in 0..<perTask {
                            let message = KafkaProducerMessage(topic: topic, key: "t\(t)", value: Array("\(t)-\(i)".utf8))
                            if i % 2 == 0 {
                                try await producer.send(message)
                            } else {
                                _ = try await producer.sendWithReceipt(message)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await producer.awaitDeliveries()
        let admin = try cluster.admin()
        let ends = try await admin.endOffsets(topic: topic)
        #expect(ends.values.reduce(0, +) == Int64(4 * perTask))
        admin.close()
        await producer.shutdown()
    }

    @Test("A send waiting for queue space fails at shutdown instead of waiting for the flush")
    func producerShutdownWakesWaitingSender() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("bp-shutdown", partitions: 1)
        let producer = try cluster.producer {
            $0.maxQueuedMessages = 2
            $0.idempotence = false
            $0.messageTimeout = .seconds(60)
            $0.shutdownFlushTimeout = .seconds(3)
        }
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "a", value: [0]))
        try cluster.kafka.setBrokerDown(1)
        try await producer.send(KafkaProducerMessage(topic: topic, key: "a", value: [1]))
        try await producer.send(KafkaProducerMessage(topic: topic, key: "a", value: [2]))
        let blocked = Task { () -> KafkaError? in
            do throws(KafkaError) {
                try await producer.send(KafkaProducerMessage(topic: topic, key: "a", value: [3]))
                return nil
            } catch {
                return error
            }
        }
        try await Task.sleep(for: .milliseconds(300))  // the third send finds the queue full and waits
        let shutdown = Task { await producer.shutdown() }
        let error = try await withDeadline(30, "blocked send") { await blocked.value }
        #expect(error?.code == .delivery)
        #expect(error?.rdKafkaErrorName == "_DESTROY")
        await shutdown.value
        try cluster.kafka.setBrokerUp(1)
    }
}
