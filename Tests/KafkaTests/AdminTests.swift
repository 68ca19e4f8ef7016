import Foundation
import Kafka
import Testing

@Suite("Admin and embedded cluster", .timeLimit(.minutes(3)))
struct AdminTests {
    @Test("CreateTopics against the mock cluster is a typed 'unsupported by this broker' error")
    func createTopicsUnsupported() async throws {
        let cluster = try TestCluster(brokers: 1)
        let admin = try cluster.admin()
        let error = await #expect(throws: KafkaError.self) {
            try await admin.createTopics(
                [KafkaAdmin.NewTopic(name: "compacted", partitions: 4, replicationFactor: 1, configs: ["cleanup.policy": "compact"])],
                timeout: .seconds(10))
        }
        #expect(error?.code == .unsupportedByBroker, "got \(String(describing: error))")
        #expect(error?.message.contains("EmbeddedKafka.createTopic") == true)
        admin.close()
    }

    @Test("List topics, end offsets and group lag")
    func offsetsAndLag() async throws {
        let cluster = try TestCluster(brokers: 2)
        let topic = try cluster.topic("lag", partitions: 3, replication: 2)
        let admin = try cluster.admin()
        let topics = try await admin.listTopics()
        #expect(topics[topic] == 3)
        let producer = try cluster.producer()
        for i in 0..<300 { try await producer.send(KafkaProducerMessage(topic: topic, partition: Int32(i % 3), key: nil as [UInt8]?, value: [1])) }
        try await producer.awaitDeliveries()
        await producer.shutdown()
        let ends = try await admin.endOffsets(topic: topic)
        #expect(ends.values.sorted() == [100, 100, 100])
        let group = "lag-\(topic)"
        let consumer = try cluster.consumer(group: group)
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset.beginning])
        try await withDeadline(60, "read 40") {
            var n = 0
            for await m in consumer.messages {
                try consumer.storeOffsets([m])
                n += 1
                if n == 40 { break }
            }
        }
        try await consumer.commit()
        await consumer.close()
        let lag = try await admin.lag(group: group, topic: topic)
        #expect(lag[KafkaTopicPartition(topic: topic, partition: 0)] == 60)
        #expect(lag[KafkaTopicPartition(topic: topic, partition: 1)] == 100)
        #expect(lag[KafkaTopicPartition(topic: topic, partition: 2)] == 100)
        admin.close()
    }

    @Test("Statistics reach the handler and report consumer lag")
    func statistics() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic("stats", partitions: 1)
        let producer = try cluster.producer()
        for _ in 0..<100 { try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [1])) }
        try await producer.awaitDeliveries()
        await producer.shutdown()
        let lags = Processed()
        let consumer = try cluster.consumer(group: "stats-\(topic)") {
            $0.client.statisticsInterval = .milliseconds(200)
            $0.client.statisticsHandler = { stats in
                for (tp, lag) in stats.consumerLag() { lags.record("\(tp)=\(lag)") }
            }
        }
        try consumer.subscribe(topics: [topic])
        try await withDeadline(60, "stats") {
            var n = 0
            for await m in consumer.messages {
                try consumer.storeOffsets([m])
                n += 1
                if n == 50 { break }
            }
            while lags.total == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(lags.ids.contains { $0.hasPrefix("\(topic)[0]=") })
        await consumer.close()
    }
}
