import Foundation
import Kafka
import Testing
import XiechaCore
import XiechaStore

@testable import XiechaWorkers

/// Kills the notify worker with SIGKILL at random (seeded) moments while it reads 20,000 alert messages and delivers
/// their changes to a receiver that fails a fifth of the requests, then lets a last run finish: the inbox must be what
/// an uninterrupted run gives, and every change must have reached the receiver at least once, every attempt of a change
/// under the same `webhook-id` with the same body.
@Suite("Notify worker crash recovery", .timeLimit(.minutes(10)))
struct NotifyCrashRecoveryTests {
    @Test("SIGKILL at random moments during 20,000 alert messages and their webhook deliveries: inbox exact, no change undelivered")
    func killAndRestart() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "notify-crash")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.alerts: 8, .deadLetters: 1])
        defer { cluster.shutdown() }
        let env = ProcessInfo.processInfo.environment
        let total = Int(env["XIECHA_NOTIFY_CRASH_MESSAGES"] ?? "") ?? 20_000
        let rounds = Int(env["XIECHA_NOTIFY_CRASH_KILLS"] ?? "") ?? 5

        let street = NotifyTestAlerts.streets[0]
        let community = NotifyTestAlerts.communities[4].community.code  // in the other street
        let secrets = ["/street": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "/community": "a plain-text secret"]
        let receiver = try await WebhookReceiver(
            children: children, routes: ["/street": "random:0.2:7", "/community": "random:0.2:8"], secrets: secrets)
        defer { receiver.stop() }
        let config = children.directory.appendingPathComponent("notify.yaml")
        try """
            webhooks:
              endpoints:
                - office: "\(street)"
                  url: "\(receiver.url("/street"))"
                  secret: "\(secrets["/street"]!)"
                - office: "\(community)"
                  url: "\(receiver.url("/community"))"
                  secret: "\(secrets["/community"]!)"
              retrySchedule: [0, 0.2, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1]
              jitter: 0.1
              timeoutSeconds: 2
              concurrency: 16
            """.write(to: config, atomically: true, encoding: .utf8)

        let alerts = NotifyTestAlerts.make(count: total, seed: 2026)
        let values = alerts.map(\.jsonBytes)
        let expected = NotifyTestAlerts.expectedHistory(values)
        // Which webhook-ids each endpoint must get: every change of an alert its office sees.
        var wantedIds: [String: Set<String>] = ["/street": [], "/community": []]
        var sequence: [String: Int] = [:]
        var seenPayloads = Set<[UInt8]>()
        for (a, v) in zip(alerts, values) where seenPayloads.insert(v).inserted {
            sequence[a.alertId, default: 0] += 1
            let id = "\(a.alertId).\(sequence[a.alertId]!)"
            if a.street?.code == street { wantedIds["/street"]!.insert(id) }
            if a.audience == .community && a.community.code == community { wantedIds["/community"]!.insert(id) }
        }
        #expect(wantedIds["/street"]!.count > total / 3 && wantedIds["/community"]!.count > 500)

        let arguments = [
            "worker", "notify", "--brokers", cluster.bootstrap, "--store", "sqlite:\(children.directory.path)/state.sqlite",
            "--inbox", "sqlite:\(children.directory.path)/inbox.sqlite", "--config", config.path, "--group", "crash", "--log-level", "warning",
        ]
        // The topic fills while the worker is killed and restarted: each round publishes its share.
        var rng = SplitMix(seed: 42)
        var kills = 0
        let share = (values.count + rounds - 1) / rounds
        for round in 0..<rounds {
            let worker = try children.start("notify-\(round)", arguments)
            let part = Array(values[min(round * share, values.count)..<min((round + 1) * share, values.count)])
            try await NotifyTestAlerts.publish(part, cluster: cluster)
            try await Task.sleep(for: .milliseconds(Int64(2_500 + rng.next() % 3_000)))
            if worker.isRunning {
                kill(worker.pid, SIGKILL)
                kills += 1
            }
            _ = try await worker.waitForExit(within: 10)
        }
        #expect(kills >= rounds - 1, "the worker was killed mid-run \(kills) times")
        let before = receiver.requests().count

        // The last run goes on until the group has committed the whole topic and the receiver has every change.
        let last = try children.start("notify-last", arguments)
        let admin = try cluster.admin()
        let ends = try await admin.endOffsets(topic: Topic.alerts.rawValue)
        admin.close()
        let deadline = ContinuousClock.now + .seconds(180)
        while true {
            let committed = try await cluster.committedOffsets(group: "crash", topic: Topic.alerts.rawValue)
            let consumed = ends.allSatisfy { tp, end in ((committed[tp] ?? nil) ?? 0) >= end }
            let delivered = receiver.requests().filter { $0.status == 200 }
            let got = Dictionary(grouping: delivered, by: \.path).mapValues { Set($0.map(\.id)) }
            if consumed && got["/street"] ?? [] == wantedIds["/street"]! && got["/community"] ?? [] == wantedIds["/community"]! { break }
            guard ContinuousClock.now < deadline, last.isRunning else {
                throw TestFailure(
                    "not finished: consumed \(consumed), delivered \(got.mapValues(\.count)) of \(wantedIds.mapValues(\.count)); stderr:\n\(last.tail(last.stderr))")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        await last.stop()

        let (current, history) = try await NotifyTestAlerts.snapshot(inbox: "\(children.directory.path)/inbox.sqlite")
        #expect(current.count == expected.count)
        #expect(NotifyTestAlerts.historyByAlert(history) == expected, "the inbox differs from an uninterrupted run's")
        for a in current { #expect(a.sequence == Int64(expected[a.alertId]?.count ?? -1)) }

        let requests = receiver.requests()
        #expect(requests.allSatisfy { $0.valid }, "every request's signature verifies (Python's hmac)")
        let byId = Dictionary(grouping: requests, by: { "\($0.path) \($0.id)" })
        #expect(byId.values.allSatisfy { Set($0.map(\.sha256)).count == 1 }, "every attempt of one webhook-id carries the same body")
        let received = Set(requests.map { "\($0.path) \($0.id)" })
        let wanted = Set(wantedIds.flatMap { path, ids in ids.map { "\(path) \($0)" } })
        #expect(received == wanted, "missing: \(wanted.subtracting(received).count), unexpected: \(received.subtracting(wanted).count)")
        let retried = byId.values.filter { $0.count > 1 }.count
        #expect(retried > 100, "retries were exercised (\(retried) ids tried more than once)")
        print(
            "notify crash test: \(values.count) messages, \(kills) kills, \(requests.count) requests (\(before) before the last run), "
                + "\(wanted.count) changes delivered, \(retried) retried")
        children.removeDirectory()
    }
}
