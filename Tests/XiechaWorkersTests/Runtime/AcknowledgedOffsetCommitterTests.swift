import Foundation
import Kafka
import Logging
import Testing

@testable import XiechaWorkers

@Suite("Acknowledged offset committer")
struct AcknowledgedOffsetCommitterTests {
    /// Input on one embedded cluster, outputs on another, so the outputs can fail while the
    /// input's offsets are still committed and read back.
    @Test("Offsets are stored only after their outputs are acknowledged, and never past a failed batch")
    func storesInOrderAndStopsAtTheFirstFailure() async throws {
        let input = try TestKafkaCluster(extraTopics: ["committer-in": 1])
        let outputs = try EmbeddedKafka(brokers: 1, logger: input.logger)
        try outputs.createTopic("out", partitions: 1)
        try outputs.createTopic("out-2", partitions: 1)
        let inputProducer = try input.producer()
        for i in 0..<30 { try await inputProducer.send(KafkaProducerMessage(topic: "committer-in", key: "k", value: [UInt8(i)])) }
        try await inputProducer.awaitDeliveries()
        await inputProducer.shutdown()

        var consumerConfig = KafkaConsumerConfiguration(bootstrapServers: input.kafka.bootstrapServerList, groupId: "committer-test")
        consumerConfig.autoCommitInterval = nil
        consumerConfig.fetchWaitMax = .milliseconds(20)
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: input.logger)
        let tp = KafkaTopicPartition(topic: "committer-in", partition: 0)
        try consumer.assign([tp: 0])
        let read = try await Deadline.run(30, "reading 30 input messages", onTimeout: { await consumer.stopReading() }) {
            var got: [KafkaConsumerMessage] = []
            for await m in consumer.messages {
                got.append(m)
                if got.count == 30 { break }
            }
            return got
        }
        #expect(read.map(\.offset) == Array(0..<30))

        var producerConfig = KafkaProducerConfiguration(bootstrapServers: outputs.bootstrapServerList)
        producerConfig.idempotence = false  // a rejected produce fails at once instead of stalling the sequence
        let producer = try KafkaProducer(configuration: producerConfig, logger: input.logger)
        let committer = AcknowledgedOffsetCommitter(consumer: consumer, logger: input.logger)

        // Batch 1 (offsets 0-9): delivered, so its offsets are stored.
        let first = KafkaDeliveryGroup()
        for m in read[0..<10] { try await producer.send(KafkaProducerMessage(topic: "out", key: "k", value: m.value), in: first) }
        try committer.submit(first, for: read[0..<10])
        try await first.awaitDeliveries()

        // Batch 2 (offsets 10-19): the broker rejects its output.
        outputs.pushRequestErrors(apiKey: EmbeddedKafka.ApiKey.produce, errors: [EmbeddedKafka.ErrorCode.topicAuthorizationFailed])
        let second = KafkaDeliveryGroup()
        try await producer.send(KafkaProducerMessage(topic: "out", key: "k", value: [99]), in: second)
        try committer.submit(second, for: read[10..<20])

        // Batch 3 (offsets 20-29): delivered, but after a failed batch it must not be marked processed.
        let third = KafkaDeliveryGroup()
        for m in read[20..<30] { try await producer.send(KafkaProducerMessage(topic: "out-2", key: "k", value: m.value), in: third) }
        let thirdSubmitted = (try? committer.submit(third, for: read[20..<30])) != nil
        third.seal()
        try await third.awaitDeliveries()

        let failure = await #expect(throws: KafkaDeliveryFailures.self) { try await second.awaitDeliveries() }
        #expect(failure?.failures.first?.error.rdKafkaErrorName == "TOPIC_AUTHORIZATION_FAILED")
        await #expect(throws: KafkaDeliveryFailures.self) { try await committer.finish() }
        #expect(throws: KafkaDeliveryFailures.self) { try committer.checkFailure() }

        try await consumer.commit()
        let committed = try await consumer.committed([tp])
        #expect(committed[tp] == 10, "only batch 1 is processed (third batch submitted: \(thirdSubmitted))")
        await producer.shutdown()
        await consumer.close()
    }
}
