import Foundation
import Kafka
import Testing
import XiechaCore

@testable import XiechaWorkers

/// Webhooks of a live notify worker against a real HTTP receiver on loopback, one office per behaviour: a receiver
/// that answers, one that fails three times, one that is gone (410), one that always fails, one that hangs.
@Suite("Webhook deliveries against a real receiver", .timeLimit(.minutes(5)))
struct WebhookDeliveryTests {
    static let ok = "421125001001"
    static let flaky = "421125001002"
    static let gone = "421125001003"
    static let failing = "421125001004"
    static let hanging = "421125002"

    /// An alert for `community` (in `street`), `n` making it distinct.
    static func alert(_ id: String, community: String, street: String = "421125001") -> AlertMessage {
        AlertMessage(
            alertId: id, type: .certificateMissing, status: .open, audience: .community, community: CommunityRef(code: community, name: "社区"),
            street: StreetRef(code: street, name: "街道"), subject: AlertSubject(personRef: "ab12", maskedId: "5106**********0021", maskedName: "测*"),
            reason: "未提交婚育证明", evidence: [AlertEvidence(topic: .residencePermits, recordId: "rp-\(id)")],
            raisedAt: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000), dueBy: Timestamp(millisecondsSinceEpoch: 1_790_604_800_000))
    }

    @Test func signedRetriedDisabledFailedReplayedAndCut() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "webhooks")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.alerts: 2, .deadLetters: 1])
        defer { cluster.shutdown() }
        let secrets = [
            "/ok": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "/flaky": "flaky-secret", "/gone": "gone-secret", "/fail": "fail-secret",
            "/hang": "hang-secret",
        ]
        let receiver = try await WebhookReceiver(
            children: children, routes: ["/ok": "ok", "/flaky": "flaky:3", "/gone": "gone", "/fail": "fail", "/hang": "hang"], secrets: secrets,
            bodies: true)
        defer { receiver.stop() }
        let offices = ["/ok": Self.ok, "/flaky": Self.flaky, "/gone": Self.gone, "/fail": Self.failing, "/hang": Self.hanging]
        var yaml = "webhooks:\n  endpoints:\n"
        for (path, office) in offices.sorted(by: { $0.key < $1.key }) {
            yaml += "    - office: \"\(office)\"\n      url: \"\(receiver.url(path))\"\n      secret: \"\(secrets[path]!)\"\n"
        }
        yaml += "  retrySchedule: [0s, 200ms, 200ms, 200ms, 200ms]\n  jitter: 0\n  timeoutSeconds: 0.5\n  concurrency: 8\n"
        let config = children.directory.appendingPathComponent("webhooks.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let inbox = "sqlite:\(children.directory.path)/inbox.sqlite"

        let alerts = [
            Self.alert("a-ok", community: Self.ok), Self.alert("a-flaky", community: Self.flaky), Self.alert("a-gone", community: Self.gone),
            Self.alert("a-fail", community: Self.failing), Self.alert("a-hang", community: "421125002001", street: Self.hanging),
        ]
        try await NotifyTestAlerts.publish(alerts.map(\.jsonBytes), cluster: cluster)
        let started = Date().timeIntervalSince1970
        let worker = try children.start(
            "notify", ["worker", "notify", "--brokers", cluster.bootstrap, "--inbox", inbox, "--config", config.path, "--log-level", "info"])
        func cli(_ args: [String]) async throws -> String {
            let p = try children.start("cli-\(args.joined(separator: "-"))", ["webhooks"] + args + ["--inbox", inbox, "--config", config.path])
            let status = try await p.waitForExit(within: 60)
            guard status == 0 else { throw TestFailure("xiecha webhooks \(args) exited \(status): \(p.stderr)") }
            return p.stdout
        }
        func failed() async throws -> [[String: Any]] {
            try await cli(["failed", "--format", "json"]).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
        }

        // Answering receiver: one request, signature verified by Python, the body exactly the published message.
        let okRequests = try await receiver.wait(within: 60, "the /ok delivery") { $0.contains { $0.path == "/ok" } }.filter { $0.path == "/ok" }
        #expect(okRequests.count == 1)
        #expect(okRequests.first?.id == "a-ok.1" && okRequests.first?.valid == true && okRequests.first?.status == 200)
        #expect(okRequests.first?.body == alerts[0].jsonString)
        if let ts = okRequests.first?.timestamp.flatMap(Double.init) { #expect(abs(ts - started) < 120) }

        // Three failures, then delivered: four attempts under one webhook-id, one body.
        let flaky = try await receiver.wait(within: 30, "the /flaky delivery") { r in r.contains { $0.path == "/flaky" && $0.status == 200 } }
            .filter { $0.path == "/flaky" }
        #expect(flaky.map(\.status) == [500, 500, 500, 200])
        #expect(Set(flaky.map(\.id)) == ["a-flaky.1"] && Set(flaky.map(\.sha256)).count == 1 && flaky.allSatisfy { $0.valid })

        // Always failing: the configured five attempts, then the failed list.
        try await receiver.wait(within: 30, "five /fail attempts") { r in r.filter { $0.path == "/fail" }.count >= 5 }
        var list: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while !list.contains(where: { $0["alertId"] as? String == "a-fail" && $0["attempts"] as? Int == 5 }) {
            guard ContinuousClock.now < deadline else { throw TestFailure("a-fail never reached the failed list: \(list)") }
            try await Task.sleep(for: .milliseconds(200))
            list = try await failed()
        }
        let failEntry = try #require(list.first { $0["alertId"] as? String == "a-fail" })
        #expect(failEntry["lastStatus"] as? Int == 500 && failEntry["office"] as? String == Self.failing)
        #expect(failEntry["webhookId"] as? String == "a-fail.1" && failEntry["url"] as? String == receiver.url("/fail"))

        // Hanging: each attempt is cut at the 0.5 s timeout, five of them, then the failed list says why.
        let hang = try await receiver.wait(within: 30, "five /hang attempts") { r in r.filter { $0.path == "/hang" }.count >= 5 }
            .filter { $0.path == "/hang" }
        let gaps = zip(hang.dropFirst(), hang).map { $0.at - $1.at }
        #expect(gaps.allSatisfy { $0 >= 0.6 && $0 < 3 }, "attempts 0.5 s timeout + 0.2 s apart: \(gaps)")
        while !list.contains(where: { $0["alertId"] as? String == "a-hang" }) {
            guard ContinuousClock.now < deadline else { throw TestFailure("a-hang never reached the failed list: \(list)") }
            try await Task.sleep(for: .milliseconds(200))
            list = try await failed()
        }
        let hangEntry = try #require(list.first { $0["alertId"] as? String == "a-hang" })
        #expect(hangEntry["lastError"] as? String == "timeout" && hangEntry["attempts"] as? Int == 5)

        // Gone: one request, the endpoint disabled; a later change for that office is held, not sent.
        let goneRequests = receiver.requests().filter { $0.path == "/gone" }
        #expect(goneRequests.map(\.status) == [410])
        let later = Self.alert("a-gone-2", community: Self.gone)
        try await NotifyTestAlerts.publish([later.jsonBytes, Self.alert("a-ok-2", community: Self.ok).jsonBytes], cluster: cluster)
        try await receiver.wait(within: 30, "the second /ok delivery") { r in r.contains { $0.id == "a-ok-2.1" } }
        try await Task.sleep(for: .seconds(1))
        #expect(receiver.requests().filter { $0.path == "/gone" }.count == 1, "a disabled endpoint gets nothing")
        let endpoints = try await cli(["endpoints"])
        let goneLine = endpoints.split(separator: "\n").first { $0.contains(receiver.url("/gone")) }.map(String.init) ?? ""
        #expect(goneLine.contains("disabled"), "\(endpoints)")
        #expect(try await failed().contains { $0["alertId"] as? String == "a-gone" && $0["lastStatus"] as? Int == 410 })
        #expect(worker.stdout.contains("webhook endpoint answered 410 Gone"))

        // The receivers come back; replay delivers what failed, and --enable releases the held change too.
        try receiver.set(["/fail": "ok", "/gone": "ok"])
        #expect(try await cli(["replay", "--alert", "a-fail"]).contains("queued 1 failed delivery again"))
        try await receiver.wait(within: 30, "the replayed /fail delivery") { r in r.contains { $0.path == "/fail" && $0.status == 200 } }
        let replay = try await cli(["replay", "--office", Self.gone, "--enable"])
        #expect(replay.contains("re-enabled 1 endpoint") && replay.contains("queued 1 failed delivery again"))
        let goneAfter = try await receiver.wait(within: 30, "the /gone deliveries after --enable") { r in
            Set(r.filter { $0.path == "/gone" && $0.status == 200 }.map(\.id)) == ["a-gone.1", "a-gone-2.1"]
        }
        #expect(goneAfter.filter { $0.path == "/gone" }.allSatisfy { $0.valid })
        let remaining = try await failed().compactMap { $0["alertId"] as? String }
        #expect(remaining == ["a-hang"])

        // Nothing else was sent, and every request was signed correctly.
        let all = receiver.requests()
        #expect(Set(all.map(\.id)) == ["a-ok.1", "a-ok-2.1", "a-flaky.1", "a-fail.1", "a-hang.1", "a-gone.1", "a-gone-2.1"])
        #expect(all.allSatisfy { $0.valid })
        await worker.stop()
        children.removeDirectory()
    }
}
