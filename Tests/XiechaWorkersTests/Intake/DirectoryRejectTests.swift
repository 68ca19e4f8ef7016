import Foundation
import Kafka
import Testing
import XiechaCore

@Suite("Address directory entries an intake worker cannot use")
struct DirectoryRejectTests {
    /// Each bad entry is logged with where it is and why, nothing of its content; good entries
    /// around it still apply and the worker goes on.
    @Test func badEntriesAreLoggedWithPositionAndReason() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "directory-reject")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.addressDirectory: 1])
        defer { cluster.shutdown() }
        let producer = try cluster.producer()
        let good = #"{"houseId":"421125-001-003-0101","text":"清泉镇沿河路18号","community":{"code":"421125001003","name":"沿河社区居委会"},"street":{"code":"421125001","name":"清泉街道办事处"}}"#
        let entries: [(key: String?, value: String)] = [
            ("421125-001-003-0999", good),  // key and houseId disagree
            ("421125-001-003-0101", good),
            ("421125-001-003-0102", good.replacingOccurrences(of: "0101", with: "0102").replacingOccurrences(of: "421125001003", with: "4211")),  // bad community code
        ]
        for e in entries {
            try await producer.send(KafkaProducerMessage(topic: Topic.addressDirectory.rawValue, key: e.key, value: Array(e.value.utf8)))
        }
        try await producer.awaitDeliveries()
        await producer.shutdown()

        let worker = try children.start(
            "intake", ["worker", "intake", "--feed", "residence-permits", "--brokers", cluster.bootstrap, "--stop-at-end"])
        #expect(try await worker.waitForExit(within: 60) == 0, "stderr: \(worker.stderr)")
        let rejected = worker.stderr.split(separator: "\n").filter { $0.contains("address directory entry rejected") }
        #expect(rejected.count == 2)
        #expect(rejected.first?.contains(#""kafka.offset":"0""#) == true)
        #expect(rejected.first?.contains(#""reason":"key_mismatch"#) == true)
        #expect(rejected.last?.contains(#""kafka.offset":"2""#) == true)
        #expect(!worker.stderr.contains("沿河路"))
        #expect(worker.stderr.contains(#""houses":"1""#))  // the good entry applied
        children.removeDirectory()
    }
}
