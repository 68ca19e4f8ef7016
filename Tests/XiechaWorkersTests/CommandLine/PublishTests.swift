import Foundation
import Kafka
import Testing
import XiechaCore

@Suite("xiecha publish: a process loading files into the embedded cluster")
struct PublishTests {
    static let permit =
        #"{"recordId":"rp-1","event":"registered","permitNo":"4211252026090001","person":{"idNumber":"510623199405121549","name":"测试甲","sex":"F","birthDate":"1994-05-12","hukouRegion":"510623"},"address":{"houseId":"421125-001-003-0101","text":"清泉镇沿河路18号"},"arrivalDate":"2026-09-01","issuedAt":"2026-09-03","validUntil":"2027-09-02","office":"清泉派出所"}"#
    static let house =
        #"{"houseId":"421125-001-003-0101","text":"清泉镇沿河路18号","community":{"code":"421125001003","name":"沿河社区居委会"},"street":{"code":"421125001","name":"清泉街道办事处"}}"#

    /// Without --topic, lines in simulate form go to their own topics with their event time as
    /// the message timestamp (zoneless = the jurisdiction's local time, +08:00 by default).
    @Test func simulateFormLinesKeepTheirTopicKeyAndEventTime() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "publish-timed")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.residencePermits: 1, .addressDirectory: 1])
        defer { cluster.shutdown() }
        let file = children.directory.appendingPathComponent("input.jsonl")
        try Data(
            [
                #"{"topic":"ref.address-directory.v1","timestamp":"2026-09-01T08:00:00+08:00","value":\#(Self.house)}"#,
                "",
                #"{"topic":"police.residence-permits.v1","timestamp":"2026-09-03T10:12:31","value":\#(Self.permit)}"#,
                #"{"topic":"ref.address-directory.v1","timestamp":"2026-10-01","key":"421125-001-003-0102","value":null}"#,
            ].joined(separator: "\n").utf8
        ).write(to: file)
        let publish = try children.start("publish", ["publish", "--file", file.path, "--brokers", cluster.bootstrap])
        #expect(try await publish.waitForExit(within: 60) == 0, "stderr: \(publish.stderr)")

        let permits = try await cluster.readAll(Topic.residencePermits.rawValue)
        #expect(permits.map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["4211252026090001"])
        #expect(permits.map(\.timestampMs) == [Timestamp(iso: "2026-09-03T10:12:31+08:00")!.millisecondsSinceEpoch])
        #expect(permits.map(\.value) == [Array(Self.permit.utf8)])
        let houses = try await cluster.readAll(Topic.addressDirectory.rawValue)
        #expect(houses.map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["421125-001-003-0101", "421125-001-003-0102"])
        #expect(houses.map(\.timestampMs) == ["2026-09-01T08:00:00+08:00", "2026-10-01T00:00:00+08:00"].map { Timestamp(iso: $0)!.millisecondsSinceEpoch })
        #expect(houses.last?.value == nil)  // tombstone
        children.removeDirectory()
    }

    /// One line not in simulate form: every fault is listed by line number and nothing is sent.
    @Test func aBadSimulateFormLineSendsNothing() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "publish-bad")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1)
        defer { cluster.shutdown() }
        let file = children.directory.appendingPathComponent("input.jsonl")
        try Data(
            [
                #"{"topic":"police.residence-permits.v1","timestamp":"2026-09-03T10:12:31","value":\#(Self.permit)}"#,
                #"{"topic":"police.residence-permits.v1","value":\#(Self.permit)}"#,
                "not json",
            ].joined(separator: "\n").utf8
        ).write(to: file)
        let publish = try children.start("publish", ["publish", "--file", file.path, "--brokers", cluster.bootstrap])
        #expect(try await publish.waitForExit(within: 60) == 65)
        #expect(publish.stderr.contains("line 2: missing_field:timestamp"))
        #expect(publish.stderr.contains("line 3: not_json"))
        #expect(!publish.stderr.contains("line 1:"))
        #expect(!publish.stderr.contains("510623199405121549"))  // reports never carry the record
        #expect(try await cluster.endOffsetSum(Topic.residencePermits.rawValue) == 0)

        // With --topic a record that is not valid is sent without a key and reported.
        let plain = children.directory.appendingPathComponent("plain.jsonl")
        try Data([Self.permit, #"{"recordId":"rp-2"}"#].joined(separator: "\n").utf8).write(to: plain)
        let sent = try children.start(
            "publish-plain", ["publish", "--topic", Topic.residencePermits.rawValue, "--file", plain.path, "--brokers", cluster.bootstrap])
        #expect(try await sent.waitForExit(within: 60) == 0)
        #expect(sent.stderr.contains("line 2: not a valid police.residence-permits.v1 record (missing_field:permitNo"))
        #expect(try await cluster.endOffsetSum(Topic.residencePermits.rawValue) == 2)
        children.removeDirectory()
    }
}
