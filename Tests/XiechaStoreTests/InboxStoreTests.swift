import Foundation
import Testing

@testable import XiechaStore

/// The inbox's behaviour, the same on SQLite and PostgreSQL: last message per alert with history, sequences,
/// idempotence, routing of deliveries, the office queries and the delivery queue.
@Suite("Inbox store")
struct InboxStoreTests {
    typealias S = InboxSamples
    static let now: Int64 = 1_800_000_000_000

    @Test("the last message per alert is current, every message is history, sequences count the changes", arguments: InboxKind.allCases)
    func lastMessageAndHistory(kind: InboxKind) async throws {
        try await withInbox(kind) { store in
            let r1 = try await store.apply([S.message("a"), S.message("b")], endpoints: [:], firstAttemptAtMs: Self.now, nowMs: Self.now)
            #expect(r1 == InboxApplyResult(changes: [.init(alertId: "a", sequence: 1, status: "open"), .init(alertId: "b", sequence: 1, status: "open")]))
            let closed = S.message("a", change: 2, status: "closed")
            let r2 = try await store.apply([closed], endpoints: [:], firstAttemptAtMs: Self.now, nowMs: Self.now + 5)
            #expect(r2.applied == 1)
            let alerts = try await store.allAlerts()
            #expect(alerts.map(\.alertId) == ["a", "b"])
            #expect(alerts[0].sequence == 2 && alerts[0].status == "closed" && alerts[0].payload == closed.payload)
            #expect(alerts[0].closedAtMs == closed.closedAtMs && alerts[0].updatedAtMs == Self.now + 5)
            #expect(alerts[1].sequence == 1 && alerts[1].status == "open")
            let detail = try #require(try await store.alert("a"))
            #expect(detail.history.map(\.sequence) == [1, 2])
            #expect(detail.history.map(\.status) == ["open", "closed"])
            #expect(detail.history.last?.payload == closed.payload)
            #expect(try await store.alert("nope") == nil)
        }
    }

    @Test("a message already in the history changes nothing: repeats, replays, an old change seen again", arguments: InboxKind.allCases)
    func idempotence(kind: InboxKind) async throws {
        try await withInbox(kind) { store in
            let endpoints = [S.community1: ["http://receiver/c1"]]
            let topic = [S.message("a"), S.message("b"), S.message("a", change: 2, status: "closed"), S.message("c")]
            // A repeat inside the batch (at-least-once publishing) is a duplicate too.
            let first = try await store.apply(topic + [topic[0]], endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now)
            #expect(first.applied == 4 && first.duplicates == 1 && first.deliveriesQueued == 4)
            #expect(first.changes.map { "\($0.alertId).\($0.sequence)" } == ["a.1", "b.1", "a.2", "c.1"])
            let before = try await InboxSnapshot.of(store)
            // The whole topic again (a new consumer group), in one batch and then message by message.
            let replay = try await store.apply(topic, endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now + 1)
            #expect(replay == InboxApplyResult(duplicates: 4))
            for m in topic.reversed() {
                #expect(try await store.apply([m], endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now + 2).applied == 0)
            }
            #expect(try await InboxSnapshot.of(store) == before)
            #expect(try await store.allAlerts().first { $0.alertId == "a" }?.status == "closed")
            let queued = try await store.claimDueDeliveries(nowMs: Self.now, limit: 100, leaseUntilMs: Self.now + 1000)
            #expect(queued.map(\.webhookId).sorted() == ["a.1", "a.2", "b.1", "c.1"])
        }
    }

    @Test("deliveries go to the addressed office, a street to its communities' alerts, and a moved alert to the office it left", arguments: InboxKind.allCases)
    func routing(kind: InboxKind) async throws {
        try await withInbox(kind) { store in
            let endpoints = [
                S.community1: ["http://c1/hook"], S.street1: ["http://s1/hook", "http://s1/second"], S.street2: ["http://s2/hook"],
                "unassigned": ["http://county/hook"],
            ]
            let messages = [
                S.message("community", community: S.community1, street: S.street1),
                S.message("conflict", type: "record_conflict", audience: "street", community: S.community1, street: S.street1),
                S.message("lost", community: "unassigned", street: nil),
                S.message("lost-street", type: "record_conflict", audience: "street", community: "unassigned", street: nil),
                S.message("other", community: S.community3, street: S.street2),
            ]
            _ = try await store.apply(messages, endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now)
            // She moved: the alert is re-published with her new community, in another street.
            let moved = S.message("community", change: 2, community: S.community3, street: S.street2)
            let r = try await store.apply([moved], endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now)
            #expect(r.deliveriesQueued == 4)
            let queued = try await store.claimDueDeliveries(nowMs: Self.now, limit: 100, leaseUntilMs: Self.now + 1000)
            let got = Set(queued.map { "\($0.webhookId) \($0.target.url)" })
            #expect(
                got == [
                    "community.1 http://c1/hook", "community.1 http://s1/hook", "community.1 http://s1/second",
                    "conflict.1 http://s1/hook", "conflict.1 http://s1/second",
                    "lost.1 http://county/hook", "lost-street.1 http://county/hook",
                    "other.1 http://s2/hook",
                    // the new office's street, and the offices it left
                    "community.2 http://s2/hook", "community.2 http://c1/hook", "community.2 http://s1/hook", "community.2 http://s1/second",
                ])
            #expect(queued.first { $0.webhookId == "community.2" }?.payload == moved.payload)
        }
    }

    @Test("an office's inbox: filters, newest first, pages that join up", arguments: InboxKind.allCases)
    func officeQueries(kind: InboxKind) async throws {
        try await withInbox(kind) { store in
            var messages: [InboxMessage] = []
            let types = ["certificate_missing", "certificate_expired", "moved_in"]
            for i in 0..<40 {
                let community = [S.community1, S.community2, S.community3][i % 3]
                let street = community == S.community3 ? S.street2 : S.street1
                messages.append(
                    S.message(
                        "a\(String(format: "%02d", i))", status: i % 4 == 0 ? "closed" : "open", type: types[i % 3], community: community,
                        street: street, raisedAtMs: 1_790_000_000_000 + Int64(i / 2) * 3_600_000))
            }
            messages.append(S.message("esc", type: "escalation", audience: "street", community: S.community1, street: S.street1))
            _ = try await store.apply(messages, endpoints: [:], firstAttemptAtMs: Self.now, nowMs: Self.now)

            func all(_ q: InboxQuery) async throws -> [String] {
                var q = q
                var out: [String] = []
                while true {
                    let page = try await store.alerts(q)
                    out += page.alerts.map(\.alertId)
                    guard let next = page.next else { return out }
                    q.after = next
                }
            }
            func expected(_ keep: (InboxMessage) -> Bool) -> [String] {
                messages.filter(keep).sorted { ($0.raisedAtMs, $1.alertId) > ($1.raisedAtMs, $0.alertId) }.map(\.alertId)
            }
            let c1 = InboxQuery(office: .community(S.community1), limit: 4)
            #expect(try await all(c1) == expected { $0.routing.communityCode == S.community1 && $0.routing.audience == "community" })
            var open = c1
            open.status = "open"
            #expect(try await all(open) == expected { $0.routing.communityCode == S.community1 && $0.routing.audience == "community" && $0.status == "open" })
            let s1 = InboxQuery(office: .street(S.street1), limit: 7)
            let streetAll = try await all(s1)
            #expect(streetAll == expected { $0.routing.streetCode == S.street1 })
            #expect(streetAll.contains("esc"))
            var typed = s1
            typed.type = "moved_in"
            typed.status = "open"
            #expect(try await all(typed) == expected { $0.routing.streetCode == S.street1 && $0.type == "moved_in" && $0.status == "open" })
            var window = InboxQuery(office: .street(S.street2), limit: 3)
            window.raisedFromMs = 1_790_000_000_000 + 5 * 3_600_000
            window.raisedBeforeMs = 1_790_000_000_000 + 15 * 3_600_000
            window.dueBeforeMs = 1_790_000_000_000 + 12 * 3_600_000 + 7 * 86_400_000
            #expect(
                try await all(window) == expected {
                    $0.routing.streetCode == S.street2 && $0.raisedAtMs >= window.raisedFromMs! && $0.raisedAtMs < window.raisedBeforeMs!
                        && $0.dueByMs < window.dueBeforeMs!
                })
            let first = try await store.alerts(InboxQuery(office: .street(S.street1), limit: 1000))
            #expect(first.next == nil)
            await #expect(throws: StoreError.self) { _ = try await store.alerts(InboxQuery(office: .street(S.street1), limit: 0)) }
        }
    }

    @Test("the delivery queue: leases, retries, the failed list, replay, 410 disables and holds, enable releases", arguments: InboxKind.allCases)
    func deliveryQueue(kind: InboxKind) async throws {
        try await withInbox(kind) { store in
            let good = WebhookTarget(office: S.community1, url: "http://good/hook")
            let gone = WebhookTarget(office: S.street1, url: "http://gone/hook")
            try await store.registerEndpoints([good, gone])
            try await store.registerEndpoints([good])
            let endpoints = [S.community1: [good.url], S.street1: [gone.url]]
            _ = try await store.apply([S.message("a"), S.message("b")], endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now)
            #expect(try await store.nextDeliveryDueMs() == Self.now)
            #expect(try await store.claimDueDeliveries(nowMs: Self.now - 1, limit: 10, leaseUntilMs: Self.now + 100).isEmpty)
            let claimed = try await store.claimDueDeliveries(nowMs: Self.now, limit: 10, leaseUntilMs: Self.now + 100)
            #expect(claimed.count == 4)
            // Leased: not handed out again before the lease runs out; after it, again (a killed worker's attempt).
            #expect(try await store.claimDueDeliveries(nowMs: Self.now + 99, limit: 10, leaseUntilMs: Self.now + 200).isEmpty)
            #expect(try await store.nextDeliveryDueMs() == Self.now + 100)
            #expect(try await store.claimDueDeliveries(nowMs: Self.now + 100, limit: 10, leaseUntilMs: Self.now + 200).count == 4)

            let a = try #require(claimed.first { $0.alertId == "a" && $0.target == good })
            let b = try #require(claimed.first { $0.alertId == "b" && $0.target == good })
            let aGone = try #require(claimed.first { $0.alertId == "a" && $0.target == gone })
            try await store.recordAttempt(a.id, .delivered, attempted: true, atMs: Self.now + 10)
            try await store.recordAttempt(b.id, .retry(atMs: Self.now + 5000, status: 503, error: nil), attempted: true, atMs: Self.now + 10)
            let retried = try await store.claimDueDeliveries(nowMs: Self.now + 5000, limit: 10, leaseUntilMs: Self.now + 6000)
            #expect(retried.map(\.id).contains(b.id))
            #expect(retried.first { $0.id == b.id }?.attempts == 1)
            try await store.recordAttempt(b.id, .failed(status: nil, error: "timeout"), attempted: true, atMs: Self.now + 5100)
            var failed = try await store.failedDeliveries(office: nil, alertId: nil, limit: 10)
            #expect(failed.count == 1)
            let f = try #require(failed.first)
            #expect(f.webhookId == "b.1" && f.attempts == 2 && f.lastStatus == nil && f.lastError == "timeout")
            #expect(f.failedAtMs == Self.now + 5100 && f.lastAttemptAtMs == Self.now + 5100)

            // 410: the endpoint is disabled, the delivery failed, the endpoint's other delivery held.
            try await store.recordAttempt(aGone.id, .gone(status: 410), attempted: true, atMs: Self.now + 6000)
            let states = try await store.endpoints()
            // Ordered by office code: the street (9 digits) before its community.
            #expect(states.map(\.target) == [gone, good])
            #expect(states[0].disabledAtMs == Self.now + 6000 && states[0].disabledReason == "HTTP 410")
            #expect(states[0].pending == 1 && states[0].failed == 1)
            #expect(states[1].disabledAtMs == nil && states[1].pending == 0 && states[1].failed == 1)
            #expect(try await store.claimDueDeliveries(nowMs: Self.now + 99_000, limit: 10, leaseUntilMs: Self.now + 100_000).isEmpty)
            #expect(try await store.nextDeliveryDueMs() == nil)
            // A new change while disabled is queued and held too.
            _ = try await store.apply([S.message("c")], endpoints: endpoints, firstAttemptAtMs: Self.now + 7000, nowMs: Self.now + 7000)
            let onlyGood = try await store.claimDueDeliveries(nowMs: Self.now + 99_000, limit: 10, leaseUntilMs: Self.now + 100_000)
            #expect(onlyGood.map(\.target) == [good])

            failed = try await store.failedDeliveries(office: S.street1, alertId: nil, limit: 10)
            #expect(failed.map(\.webhookId) == ["a.1"])
            #expect(try await store.failedDeliveries(office: nil, alertId: "b", limit: 10).map(\.webhookId) == ["b.1"])
            #expect(try await store.replayFailed(office: S.community1, alertId: nil, nowMs: Self.now + 8000) == 1)
            #expect(try await store.failedDeliveries(office: nil, alertId: nil, limit: 10).map(\.webhookId) == ["a.1"])
            let replayed = try await store.claimDueDeliveries(nowMs: Self.now + 8000, limit: 10, leaseUntilMs: Self.now + 9000)
            #expect(replayed.map(\.webhookId) == ["b.1"] && replayed.first?.attempts == 0)

            #expect(try await store.enableEndpoints(office: S.street2) == 0)
            #expect(try await store.enableEndpoints(office: nil) == 1)
            #expect(try await store.replayFailed(office: nil, alertId: "a", nowMs: Self.now + 10_000) == 1)
            let released = try await store.claimDueDeliveries(nowMs: Self.now + 200_000, limit: 10, leaseUntilMs: Self.now + 300_000)
            // The endpoint's held deliveries and its replayed one; those to the good endpoint whose attempts were never
            // recorded are due again too (their leases ran out).
            #expect(Set(released.filter { $0.target == gone }.map(\.webhookId)) == ["a.1", "b.1", "c.1"])
            #expect(Set(released.filter { $0.target == good }.map(\.webhookId)) == ["b.1", "c.1"])
        }
    }

    @Test("SQLite and PostgreSQL give the same inbox and queue for the same random stream of messages")
    func parity() async throws {
        var rng = SeededRandom(seed: 20_261_201)
        var topic: [InboxMessage] = []
        var changes: [String: Int] = [:]
        for _ in 0..<600 {
            let n = Int.random(in: 0..<150, using: &rng)
            let id = "alert-\(n)"
            // Now and then an earlier change again (a replay: the same bytes), otherwise the next change.
            let last = changes[id] ?? 0
            let change = last > 0 && Int.random(in: 0..<5, using: &rng) == 0 ? Int.random(in: 1...last, using: &rng) : last + 1
            changes[id] = max(last, change)
            // Everything else follows from (alert, change), so a replayed change has the same bytes.
            var own = SeededRandom(seed: UInt64(n * 1000 + change))
            let community = [S.community1, S.community2, S.community3, "unassigned"][Int.random(in: 0..<4, using: &own)]
            let street: String? = community == "unassigned" ? nil : (community == S.community3 ? S.street2 : S.street1)
            let audience = Int.random(in: 0..<6, using: &own) == 0 ? "street" : "community"
            topic.append(
                S.message(
                    id, change: change, status: change % 2 == 0 ? "closed" : "open", audience: audience, community: community, street: street,
                    raisedAtMs: Int64.random(in: 1_790_000_000_000...1_795_000_000_000, using: &own)))
        }
        let endpoints = [S.community1: ["http://c1"], S.street1: ["http://s1"], S.street2: ["http://s2"], "unassigned": ["http://u"]]
        func run(_ store: any InboxStore) async throws -> (InboxSnapshot, [String], [String], [String]) {
            var rng = SeededRandom(seed: 7)
            var i = 0
            while i < topic.count {
                let n = Int.random(in: 1...40, using: &rng)
                _ = try await store.apply(Array(topic[i..<min(i + n, topic.count)]), endpoints: endpoints, firstAttemptAtMs: Self.now, nowMs: Self.now)
                i += n
            }
            let claimed = try await store.claimDueDeliveries(nowMs: Self.now, limit: 10_000, leaseUntilMs: Self.now + 1)
            for d in claimed where d.sequence % 3 == 0 {
                try await store.recordAttempt(d.id, .failed(status: 500, error: nil), attempted: true, atMs: Self.now + 1)
            }
            let page = try await store.alerts(InboxQuery(office: .street(S.street1), status: "open", limit: 1000))
            return (
                try await InboxSnapshot.of(store), claimed.map { "\($0.webhookId) \($0.target.url) \($0.payload.count)" }.sorted(),
                try await store.failedDeliveries(office: nil, alertId: nil, limit: 10_000).map { "\($0.webhookId) \($0.target.url)" }.sorted(),
                page.alerts.map(\.alertId)
            )
        }
        let sqlite = try await withInbox(.sqlite) { try await run($0) }
        let postgres = try await withInbox(.postgres) { try await run($0) }
        #expect(sqlite.0.alerts.count > 140)
        #expect(sqlite.0.history.count > 300)
        #expect(sqlite.0 == postgres.0)
        #expect(sqlite.1.count > 300)
        #expect(sqlite.1 == postgres.1)
        #expect(sqlite.2 == postgres.2)
        #expect(sqlite.3 == postgres.3)
    }
}
