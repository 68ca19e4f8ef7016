import Foundation
import Kafka
import Testing
import XiechaCore
import XiechaStore

@testable import XiechaWorkers

/// `xiecha worker notify` as a process on the embedded cluster, with a real SQLite inbox.
@Suite("Notify worker end to end", .timeLimit(.minutes(5)))
struct NotifyEndToEndTests {
    /// Alerts → the inbox is the last message per alertId of the topic, with every distinct message as history; a
    /// message that is not an alert is a dead letter; reading the whole topic again (a new group) changes nothing.
    @Test func inboxIsTheLastMessagePerAlertAndAReplayChangesNothing() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "notify-e2e")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.alerts: 4, .deadLetters: 1])
        defer { cluster.shutdown() }

        let alerts = NotifyTestAlerts.make(count: 2_000, seed: 11)
        var values = alerts.map(\.jsonBytes)
        // At-least-once publishing: some messages twice, later on.
        values += stride(from: 0, to: 2_000, by: 40).map { values[$0] }
        let valid = values
        let malformed: [[UInt8]] = [
            Array("not json".utf8), Array("[1,2]".utf8), Array(#"{"type":"certificate_missing"}"#.utf8),
            Array(#"{"alertId":"x","type":"t","status":"maybe","audience":"community","community":{"code":"421125001001"},"raisedAt":"2026-01-01T00:00:00Z","dueBy":"2026-01-08T00:00:00Z"}"#.utf8),
            Array(#"{"alertId":"y","type":"t","status":"open","audience":"community","community":{"code":"421125001001"},"raisedAt":"yesterday","dueBy":"2026-01-08T00:00:00Z"}"#.utf8),
        ]
        try await NotifyTestAlerts.publish(valid + malformed, cluster: cluster)
        let expected = NotifyTestAlerts.expectedHistory(valid)
        let changes = expected.values.reduce(0) { $0 + $1.count }

        let inbox = children.directory.appendingPathComponent("data/inbox.sqlite").path
        let store = "sqlite:\(children.directory.appendingPathComponent("data/state.sqlite").path)"
        let first = try children.start(
            "notify-1", ["worker", "notify", "--brokers", cluster.bootstrap, "--store", store, "--group", "n1", "--stop-at-end", "--log-level", "warning"])
        #expect(try await first.waitForExit(within: 120) == 0, "stderr: \(first.tail(first.stderr))")
        let summary = try first.summary()
        #expect(summary["worker"] as? String == "notify")
        #expect(summary["records"] as? Int == valid.count + malformed.count)
        #expect(summary["out"] as? Int == changes)
        #expect(summary["deadLetters"] as? Int == malformed.count)

        // The inbox default: inbox.sqlite beside the SQLite store.
        let (current, history) = try await NotifyTestAlerts.snapshot(inbox: inbox)
        #expect(current.count == expected.count)
        #expect(NotifyTestAlerts.historyByAlert(history) == expected)
        for a in current { #expect(a.payload == expected[a.alertId]?.last && a.sequence == Int64(expected[a.alertId]?.count ?? 0)) }
        let lastMessages = Dictionary(alerts.map { ($0.alertId, $0) }, uniquingKeysWith: { _, new in new })
        for a in current {
            let m = try #require(lastMessages[a.alertId])
            #expect(a.status == m.status.rawValue && a.routing.communityCode == m.community.code && a.routing.streetCode == m.street?.code)
            #expect(a.raisedAtMs == m.raisedAt.millisecondsSinceEpoch && a.dueByMs == m.dueBy.millisecondsSinceEpoch)
        }

        let deadLetters = try await cluster.readAll(Topic.deadLetters.rawValue)
        #expect(deadLetters.count == malformed.count)
        #expect(
            Set(deadLetters.compactMap { $0.headerString("xiecha.reason") })
                == ["not_json", "not_object", "missing_field:alertId", "unknown_enum:status", "invalid_date:raisedAt"])

        // Replay: a new group reads the topic from the beginning.
        let replay = try children.start(
            "notify-replay", ["worker", "notify", "--brokers", cluster.bootstrap, "--store", store, "--group", "n2", "--stop-at-end", "--log-level", "warning"])
        #expect(try await replay.waitForExit(within: 120) == 0, "stderr: \(replay.tail(replay.stderr))")
        #expect(try replay.summary()["out"] as? Int == 0)
        let (after, afterHistory) = try await NotifyTestAlerts.snapshot(inbox: inbox)
        #expect(after == current)
        #expect(afterHistory == history)
        children.removeDirectory()
    }
}
