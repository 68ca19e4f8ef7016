import Foundation
import Logging
import MetricsTestKit
import ServiceLifecycle
import Testing
import XiechaCore
import XiechaStore

@testable import XiechaWorkers

@Suite("Notify: signatures, retries, configuration, alert decoding")
struct NotifyUnitTests {
    @Test("the Standard Webhooks test vector, and plain-text secrets")
    func signature() throws {
        let signer = try #require(WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(
            signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        // A secret without the prefix is its UTF-8 bytes; a prefixed one that is not base64 is refused.
        let plain = try #require(WebhookSigner(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(plain.signature(id: "a.1", timestamp: 1, body: []) != signer.signature(id: "a.1", timestamp: 1, body: []))
        #expect(WebhookSigner(secret: "whsec_***") == nil)
        #expect(WebhookSigner(secret: "") == nil)
    }

    @Test("the schedule: one delay per attempt, jitter within its fraction, none after the last")
    func retrySchedule() {
        var rng = SplitMix(seed: 3)
        let policy = WebhookRetryPolicy(schedule: WebhookConfiguration.defaultRetrySchedule, jitter: 0.2)
        #expect(policy.firstDelayMs == 0)
        #expect(policy.delayMs(afterAttempts: 8, using: &rng) == nil)
        for _ in 0..<200 {
            let d = policy.delayMs(afterAttempts: 1, using: &rng)!
            #expect((4_000...6_000).contains(d))
            let last = policy.delayMs(afterAttempts: 7, using: &rng)!
            #expect((Int64(24 * 3600 * 800)...Int64(24 * 3600 * 1200)).contains(last))
        }
        let exact = WebhookRetryPolicy(schedule: [.zero, .milliseconds(200)], jitter: 0)
        #expect(exact.delayMs(afterAttempts: 1, using: &rng) == 200)
        #expect(exact.delayMs(afterAttempts: 2, using: &rng) == nil)
    }

    func load(_ yaml: String, environment: [String: String] = [:]) throws -> XiechaConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("xiecha-config-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try XiechaConfiguration.load(file: path, environment: environment)
    }

    @Test("webhooks and the inbox from the configuration file and the environment")
    func configuration() throws {
        let c = try load(
            """
            inbox: "sqlite:/tmp/x/inbox.sqlite"
            webhooks:
              endpoints:
                - office: "421125001001"
                  url: "https://office.example/hook"
                  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                - office: "421125001"
                  url: "http://street.example:8080/x"
                  secretEnv: STREET_SECRET
                - office: unassigned
                  url: "https://county.example/"
                  secret: county
              retrySchedule: [0, 1.5, 200ms, 5m, 2h]
              jitter: 0.1
              timeoutSeconds: 3
              concurrency: 4
            """, environment: ["STREET_SECRET": "s3cret", "XIECHA_INBOX_STORE": "sqlite:/tmp/y/inbox.sqlite"])
        #expect(c.inboxStoreURL == .sqlite(path: "/tmp/y/inbox.sqlite", synchronous: .normal))
        #expect(c.webhooks.endpoints.map(\.office) == ["421125001001", "421125001", "unassigned"])
        #expect(c.webhooks.endpoints[1].secret == "s3cret")
        #expect(c.webhooks.retrySchedule == [.zero, .milliseconds(1500), .milliseconds(200), .seconds(300), .seconds(7200)])
        #expect(c.webhooks.jitter == 0.1 && c.webhooks.timeout == .seconds(3) && c.webhooks.concurrency == 4)
        #expect(c.webhooks.urlsByOffice["421125001"] == ["http://street.example:8080/x"])

        let defaults = try XiechaConfiguration.load(file: nil, environment: [:])
        #expect(defaults.webhooks.retrySchedule.count == 8 && defaults.webhooks.endpoints.isEmpty)
        #expect(defaults.inboxStoreURL == .sqlite(path: ".xiecha/inbox.sqlite", synchronous: .normal))
        var c2 = XiechaConfiguration()
        c2.store = .sqlite(path: "/data/state.sqlite", synchronous: .full)
        #expect(c2.inboxStoreURL == .sqlite(path: "/data/inbox.sqlite", synchronous: .full))
        c2.store = .sqlite(path: "state.sqlite", synchronous: .normal)
        #expect(c2.inboxStoreURL == .sqlite(path: "inbox.sqlite", synchronous: .normal))
        let pg = try StoreURL(parsing: "postgres://x@db/xiecha")
        c2.store = pg
        #expect(c2.inboxStoreURL == pg)
        c2.store = .memory
        #expect(c2.inboxStoreURL == .sqliteInMemory)
    }

    @Test("a webhook that cannot be used is refused with where and why")
    func badWebhooks() {
        let endpoint = "webhooks:\n  endpoints:\n    - office: \"421125001001\"\n      url: \"https://a.example/\"\n      secret: s\n"
        for yaml in [
            "webhooks:\n  endpoints:\n    - office: \"4211\"\n      url: \"https://a.example/\"\n      secret: s\n",
            "webhooks:\n  endpoints:\n    - office: \"421125001001\"\n      url: \"ftp://a.example/\"\n      secret: s\n",
            "webhooks:\n  endpoints:\n    - office: \"421125001001\"\n      url: \"https://a.example/\"\n",
            "webhooks:\n  endpoints:\n    - office: \"421125001001\"\n      url: \"https://a.example/\"\n      secret: s\n      secretEnv: X\n",
            "webhooks:\n  endpoints:\n    - office: \"421125001001\"\n      url: \"https://a.example/\"\n      secret: \"whsec_!!\"\n",
            endpoint + "    - office: \"421125001001\"\n      url: \"https://a.example/\"\n      secret: t\n",
            endpoint + "  retrySchedule: [0s, soon]\n",
            endpoint + "  retrySchedule: []\n",
            endpoint + "  jitter: 2\n",
            endpoint + "  timeoutSeconds: 0\n",
            endpoint + "  concurrency: 0\n",
            endpoint + "  retries: 3\n",
            "webhooks:\n  endpoints:\n    - office: \"421125001001\"\n      url: \"https://a.example/\"\n      secretEnv: MISSING\n",
            "inbox: \"mysql://x\"\n",
        ] {
            #expect(throws: ConfigurationError.self, "\(yaml)") { try load(yaml) }
        }
    }

    @Test("an alert message: the inbox's fields read, the payload kept as published, unknown fields passed through")
    func decoding() throws {
        let alert = AlertMessage(
            alertId: "abc", type: .escalation, status: .closed, audience: .street, community: CommunityRef(code: "421125001001", name: "一社区"),
            street: StreetRef(code: "421125001", name: "街道"), subject: AlertSubject(personRef: "ff", maskedId: "4211**********002X", maskedName: "王*"),
            reason: "逾期", evidence: [], raisedAt: Timestamp(millisecondsSinceEpoch: 1_000), dueBy: Timestamp(millisecondsSinceEpoch: 2_000),
            closedAt: Timestamp(millisecondsSinceEpoch: 3_000), closedBy: .office("421125001"))
        var bytes = alert.jsonBytes
        bytes.removeLast()
        bytes += Array(#","acknowledgedAt":"2026-01-01T00:00:00.000Z","note":"新字段"}"#.utf8)
        let m = try AlertInboxDecoding.decode(bytes).get()
        #expect(m.alertId == "abc" && m.type == "escalation" && m.status == "closed" && m.payload == bytes)
        #expect(m.routing == InboxRouting(audience: "street", communityCode: "421125001001", streetCode: "421125001"))
        #expect(m.raisedAtMs == 1_000 && m.dueByMs == 2_000 && m.closedAtMs == 3_000)
        #expect(m.routing.offices == ["421125001"])

        let unassigned = try AlertInboxDecoding.decode(
            Array(#"{"alertId":"u","type":"certificate_missing","status":"open","audience":"community","community":{"code":"unassigned"},"street":null,"raisedAt":"2026-01-01T00:00:00Z","dueBy":"2026-01-08T00:00:00+08:00"}"#.utf8)
        ).get()
        #expect(unassigned.routing.offices == ["unassigned"] && unassigned.closedAtMs == nil)

        func reason(_ text: String?) -> String? {
            guard case .failure(let r) = AlertInboxDecoding.decode(text.map { Array($0.utf8) }) else { return nil }
            return r.code
        }
        let good = #""type":"t","status":"open","audience":"community","community":{"code":"1"},"raisedAt":"2026-01-01T00:00:00Z","dueBy":"2026-01-02T00:00:00Z""#
        #expect(reason(nil) == "empty_value")
        #expect(reason("") == "empty_value")
        #expect(reason("{") == "not_json")
        #expect(reason("\"x\"") == "not_object")
        #expect(reason("{\(good)}") == "missing_field:alertId")
        #expect(reason(#"{"alertId":7,\#(good)}"#) == "wrong_type:alertId")
        #expect(reason(#"{"alertId":"","# + good + "}") == "empty_field:alertId")
        #expect(reason(#"{"alertId":"a",\#(good.replacingOccurrences(of: "\"community\",", with: "\"office\","))}"#) == "unknown_enum:audience")
        #expect(reason(#"{"alertId":"a",\#(good.replacingOccurrences(of: #""community":{"code":"1"}"#, with: #""community":"1""#))}"#) == "wrong_type:community")
        #expect(reason(#"{"alertId":"a",\#(good.replacingOccurrences(of: #"{"code":"1"}"#, with: "{}"))}"#) == "missing_field:community.code")
        #expect(reason(#"{"alertId":"a","street":5,\#(good)}"#) == "wrong_type:street")
        #expect(reason(#"{"alertId":"a",\#(good.replacingOccurrences(of: "2026-01-02T00:00:00Z", with: "soon"))}"#) == "invalid_date:dueBy")
        #expect(reason(#"{"alertId":"a","closedAt":"x",\#(good)}"#) == "invalid_date:closedAt")
        #expect(reason(#"{"alertId":"a",\#(good)}"#) == nil)
    }

    /// The delivery service in process, its metrics through a test factory: delivered, retried, failed, disabled.
    @Test("delivery outcomes are counted and timed by outcome; a 410 sets the endpoint's disabled gauge")
    func deliveryMetrics() async throws {
        let children = try ChildProcesses(executable: URL(fileURLWithPath: "/usr/bin/env"), label: "webhook-metrics")
        defer { children.killAll() }
        let receiver = try await WebhookReceiver(
            children: children, routes: ["/ok": "ok", "/gone": "gone", "/fail": "fail"], secrets: ["/ok": "k", "/gone": "k", "/fail": "k"])
        defer { receiver.stop() }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let inbox = try await makeInboxStore(url: .sqliteInMemory, logger: logger)
        var webhooks = WebhookConfiguration()
        webhooks.endpoints = [
            .init(office: "421125001001", url: receiver.url("/ok"), secret: "k"), .init(office: "421125001", url: receiver.url("/gone"), secret: "k"),
            .init(office: "unassigned", url: receiver.url("/fail"), secret: "k"),
        ]
        webhooks.retrySchedule = [.zero, .milliseconds(100)]
        webhooks.jitter = 0
        let testMetrics = TestMetrics()
        let metrics = WorkerMetrics(factory: testMetrics)
        let service = WebhookDeliveryService(
            inbox: inbox, configuration: webhooks, metrics: metrics, logger: logger, clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        try await inbox.registerEndpoints(webhooks.endpoints.map(\.target))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let message = { (id: String, community: String, street: String?) in
            InboxMessage(
                alertId: id, type: "certificate_missing", status: "open",
                routing: InboxRouting(audience: "community", communityCode: community, streetCode: street), raisedAtMs: 0, dueByMs: 1,
                payload: Array(#"{"alertId":"\#(id)"}"#.utf8))
        }
        _ = try await inbox.apply(
            [message("a", "421125001001", "421125001"), message("u", "unassigned", nil)], endpoints: webhooks.urlsByOffice, firstAttemptAtMs: now,
            nowMs: now)
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        let running = Task { try await group.run() }
        try await receiver.wait(within: 30, "three endpoints tried") { r in
            Set(r.map(\.path)) == ["/ok", "/gone", "/fail"] && r.filter { $0.path == "/fail" }.count == 2
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while try await inbox.failedDeliveries(office: nil, alertId: nil, limit: 10).count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        await group.triggerGracefulShutdown()
        try await running.value
        func count(_ level: String, _ outcome: String) throws -> Int64 {
            try testMetrics.expectCounter("xiecha_webhook_deliveries_total", [("office_level", level), ("outcome", outcome)]).totalValue
        }
        #expect(try count("community", "delivered") == 1)
        #expect(try count("street", "disabled") == 1)
        #expect(try count("unassigned", "retried") == 1)
        #expect(try count("unassigned", "failed") == 1)
        #expect(try testMetrics.expectTimer("xiecha_webhook_delivery_seconds", [("outcome", "delivered")]).values.count == 1)
        #expect(try testMetrics.expectGauge("xiecha_webhook_endpoint_disabled", [("office", "421125001")]).lastValue == 1)
        try await inbox.close()
    }
}
