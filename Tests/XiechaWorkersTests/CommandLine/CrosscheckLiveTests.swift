import Foundation
import Kafka
import Testing
import XiechaCore

@testable import XiechaWorkers

@Suite("A live crosscheck worker fires due deadlines on the wall clock once its backlog is read")
struct CrosscheckLiveTests {
    /// A permit from March 2026 without a certificate, in the backlog of a live worker: the
    /// backlog is applied in event time (no alert at the permit's instant), then the timer fires
    /// the 30-day deadline that passed long ago.
    @Test func theDeadlineFiresAfterTheBacklog() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "crosscheck-live")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.personEvents: 4, .alerts: 2])
        defer { cluster.shutdown() }
        let producer = try cluster.producer()
        let permit = EventTimeBacklogTests.events()[0]
        try await producer.send(
            KafkaProducerMessage(topic: Topic.personEvents.rawValue, key: permit.person.idNumber, value: permit.jsonBytes()))
        try await producer.awaitDeliveries()
        await producer.shutdown()

        let store = "sqlite:\(children.directory.appendingPathComponent("state.sqlite").path)"
        let worker = try children.start("crosscheck", ["worker", "crosscheck", "--store", store, "--brokers", cluster.bootstrap])
        var alerts: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while alerts.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            #expect(worker.isRunning)
            alerts = try await cluster.readAll(Topic.alerts.rawValue)
        }
        let messages = try alerts.map { try JSONDecoder().decode(AlertMessage.self, from: Data($0.value ?? [])) }
        #expect(messages.map { "\($0.type.rawValue) \($0.status.rawValue)" } == ["certificate_missing open"])
        #expect(messages.first?.raisedAt == Timestamp(startOf: EventTimeBacklogTests.day0.adding(days: 30), utcOffsetSeconds: 8 * 3600))
        #expect(worker.stdout.contains("backlog read: due deadlines now fire on the wall clock"))
        await worker.stop()
        children.removeDirectory()
    }

    /// A worker in a group of several is done with the backlog when its own partitions are.
    @Test func backlogCompleteWithinTheAssignment() {
        let p = (0..<3).map { KafkaTopicPartition(topic: Topic.personEvents.rawValue, partition: Int32($0)) }
        let target = EndOffsetTarget(ends: [p[0]: 10, p[1]: 5, p[2]: 0], remaining: [p[1]])
        #expect(!target.isComplete)
        #expect(target.isComplete(within: [p[0], p[2]]))
        #expect(!target.isComplete(within: [p[0], p[1]]))
        #expect(!target.isComplete(within: []))  // nothing assigned yet
    }
}
