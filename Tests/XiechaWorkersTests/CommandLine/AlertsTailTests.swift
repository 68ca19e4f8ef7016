import Foundation
import Kafka
import Testing
import XiechaCore

@Suite("xiecha alerts tail: a process reading xiecha.alerts.v1")
struct AlertsTailTests {
    /// Without `--follow` it stops at the end offsets seen at start, also when the last messages
    /// it reads belong to another community than the one asked for (it used to wait for ever).
    @Test func stopsAtTheEndWhenTheLastMessagesAreAnotherCommunitys() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "alerts-tail")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.alerts: 1])
        defer { cluster.shutdown() }
        let producer = try cluster.producer()
        let wanted = "421125001003"
        let other = "421125002001"
        // One partition, so "last" is well defined: 3 wanted alerts, then 5 of another community.
        let keys = [wanted, other, wanted, wanted] + Array(repeating: other, count: 5)
        for (i, key) in keys.enumerated() {
            let value = #"{"alertId":"a\#(i)","community":{"code":"\#(key)"}}"#
            try await producer.send(KafkaProducerMessage(topic: Topic.alerts.rawValue, key: key, value: Array(value.utf8)))
        }
        try await producer.awaitDeliveries()
        await producer.shutdown()

        let tail = try children.start(
            "tail", ["alerts", "tail", "--community", wanted, "--format", "json", "--brokers", cluster.bootstrap])
        let status = try await tail.waitForExit(within: 60)
        #expect(status == 0, "stderr: \(tail.stderr)")
        let lines = tail.stdout.split(separator: "\n").map(String.init)
        #expect(lines == [0, 2, 3].map { #"{"alertId":"a\#($0)","community":{"code":"\#(wanted)"}}"# })

        // The same without --community shows all nine.
        let all = try children.start("tail-all", ["alerts", "tail", "--format", "json", "--brokers", cluster.bootstrap])
        #expect(try await all.waitForExit(within: 60) == 0)
        #expect(all.stdout.split(separator: "\n").count == keys.count)
        children.removeDirectory()
    }
}
