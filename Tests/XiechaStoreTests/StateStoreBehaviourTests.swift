import Foundation
import Testing

@testable import XiechaStore

/// The behaviour every ``StateStore`` shares, run against SQLite (temp file), in-memory and PostgreSQL.
@Suite("StateStore behaviour")
struct StateStoreBehaviourTests {
    @Test("migrations are idempotent and recorded", arguments: StoreKind.allCases)
    func migrationsIdempotent(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try await store.migrate()
            try await store.migrate()
            let expected = Migration.all.map(\.version)
            #expect(expected == [1, 2, 3])
            switch store {
            case let s as SQLiteStateStore:
                #expect(try await s.appliedMigrations() == expected)
            case let s as PostgresStateStore:
                #expect(try await s.appliedMigrations() == expected)
            default:
                break
            }
            // Still usable after re-running migrations.
            try await store.commit(StoreBatch(processedEventIds: ["e1"]))
            #expect(try await store.processed(among: ["e1"]) == ["e1"])
        }
    }

    @Test("a failing commit leaves nothing behind", arguments: StoreKind.allCases)
    func commitIsAtomic(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let p1 = PersonRecord(key: "p1", state: [1, 2, 3], nextDeadlineMs: 100)
            try await store.commit(
                StoreBatch(
                    processedEventIds: ["e1"],
                    persons: [p1],
                    outbox: [OutboxEntry(topic: "t", key: "k0", payload: [0])]
                )
            )
            let before = try await snapshot(store, keys: ["p1", "p2"])

            let poisoned = StoreBatch(
                processedEventIds: ["e2", "e3", "e2"],  // e2 twice: fails after persons and alerts were written
                persons: [PersonRecord(key: "p1", state: [9], nextDeadlineMs: 5), PersonRecord(key: "p2", state: [7])],
                alerts: [AlertRecord(alertId: "a1", personKey: "p2", routingKey: "c", status: "open", payload: [1])],
                outbox: [OutboxEntry(topic: "t", key: "k1", payload: [1])]
            )
            await #expect(throws: StoreError.self) { try await store.commit(poisoned) }
            do {
                try await store.commit(poisoned)
            } catch let error as StoreError {
                #expect(error.code == .duplicateProcessedEvent)
                #expect(error.message.contains("e2"))
            }
            #expect(try await snapshot(store, keys: ["p1", "p2"]) == before)
            #expect(try await store.processed(among: ["e2", "e3"]).isEmpty)

            // An id processed by an earlier batch is rejected the same way.
            var replay = poisoned
            replay.processedEventIds = ["e4", "e1"]
            do {
                try await store.commit(replay)
                Issue.record("commit of an already processed event id succeeded")
            } catch let error as StoreError {
                #expect(error.code == .duplicateProcessedEvent)
                #expect(error.message.contains("e1"))
            }
            #expect(try await snapshot(store, keys: ["p1", "p2"]) == before)
            #expect(try await store.processed(among: ["e4"]).isEmpty)

            // The same batch without the duplicate applies completely.
            var clean = poisoned
            clean.processedEventIds = ["e2", "e3"]
            try await store.commit(clean)
            let after = try await snapshot(store, keys: ["p1", "p2"])
            #expect(after.persons.count == 2)
            #expect(after.persons["p1"]?.state == [9])
            #expect(after.alerts.map(\.alertId) == ["a1"])
            #expect(after.outbox.map(\.key) == ["k0", "k1"])
            #expect(try await store.processed(among: ["e1", "e2", "e3", "e4"]) == ["e1", "e2", "e3"])
        }
    }

    @Test("processed ids are detected among many", arguments: StoreKind.allCases)
    func processedIds(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let done = (0..<3000).map { "rec-\($0)" }
            try await store.commit(StoreBatch(processedEventIds: Array(done[..<1500])))
            try await store.commit(StoreBatch(processedEventIds: Array(done[1500...])))
            let asked = (0..<6000).map { "rec-\($0)" } + ["", "rec-1", "引号\"\\\n"]
            let found = try await store.processed(among: asked)
            #expect(found == Set(done))
            #expect(try await store.processed(among: []).isEmpty)
            #expect(try await store.processed(among: ["unknown"]).isEmpty)
        }
    }

    @Test("persons round-trip bytes exactly", arguments: StoreKind.allCases)
    func personsRoundTrip(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            var rng = SeededRandom(seed: 7)
            let special = [
                PersonRecord(key: "all-bytes", state: (0...255).map { UInt8($0) }, nextDeadlineMs: Int64.max),
                PersonRecord(key: "empty", state: [], nextDeadlineMs: nil),
                PersonRecord(key: "zeros", state: [0, 0, 0, 0], nextDeadlineMs: Int64.min),
                PersonRecord(key: "big", state: rng.bytes(1 << 20), nextDeadlineMs: 0),
                PersonRecord(key: "42112519900307002X", state: Array("王芳".utf8), nextDeadlineMs: -1),
                PersonRecord(key: "王芳 \"quoted\" \\ back\u{1}", state: [0xFF], nextDeadlineMs: 1),
            ]
            let many = (0..<2500).map {
                PersonRecord(key: "k\($0)", state: rng.bytes(Int.random(in: 0...300, using: &rng)),
                    nextDeadlineMs: $0 % 3 == 0 ? nil : Int64($0))
            }
            try await store.commit(StoreBatch(persons: special + many))
            let keys = (special + many).map(\.key) + (0..<2500).map { "missing\($0)" }
            let loaded = try await store.persons(keys)
            #expect(loaded.count == special.count + many.count)
            for p in special + many {
                #expect(loaded[p.key] == p, "person \(p.key.prefix(20)) differs")
            }
            #expect(try await store.persons([]).isEmpty)

            // Upsert replaces state and deadline (including clearing it).
            let updated = [
                PersonRecord(key: "all-bytes", state: [1], nextDeadlineMs: nil),
                PersonRecord(key: "empty", state: [2, 3], nextDeadlineMs: 99),
            ]
            try await store.commit(StoreBatch(persons: updated))
            let reloaded = try await store.persons(["all-bytes", "empty", "all-bytes"])
            #expect(reloaded == ["all-bytes": updated[0], "empty": updated[1]])
        }
    }

    @Test("due keys come in deadline order, then key order, within the limit", arguments: StoreKind.allCases)
    func dueKeys(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.nextDeadlineMs() == nil)
            #expect(try await store.dueKeys(notAfterMs: .max, limit: 10).isEmpty)
            let persons: [(String, Int64?)] = [
                ("c", 30), ("x", 10), ("b", 20), ("a", 10), ("n", nil), ("d", 40), ("Z", 10), ("é", 10), ("neg", -5),
            ]
            try await store.commit(
                StoreBatch(persons: persons.map { PersonRecord(key: $0.0, state: [1], nextDeadlineMs: $0.1) })
            )
            #expect(try await store.nextDeadlineMs() == -5)
            // Ties order by UTF-8 bytes: "Z" < "a" < "x" < "é".
            #expect(try await store.dueKeys(notAfterMs: 25, limit: 100) == ["neg", "Z", "a", "x", "é", "b"])
            #expect(try await store.dueKeys(notAfterMs: 25, limit: 3) == ["neg", "Z", "a"])
            #expect(try await store.dueKeys(notAfterMs: 10, limit: 100) == ["neg", "Z", "a", "x", "é"])
            #expect(try await store.dueKeys(notAfterMs: -6, limit: 100).isEmpty)
            #expect(try await store.dueKeys(notAfterMs: .max, limit: 0).isEmpty)
            #expect(try await store.dueKeys(notAfterMs: .max, limit: 100).count == 8)

            // Moving and clearing deadlines updates the index.
            try await store.commit(
                StoreBatch(persons: [
                    PersonRecord(key: "neg", state: [1], nextDeadlineMs: nil),
                    PersonRecord(key: "a", state: [1], nextDeadlineMs: 35),
                    PersonRecord(key: "n", state: [1], nextDeadlineMs: 15),
                ])
            )
            #expect(try await store.nextDeadlineMs() == 10)
            #expect(try await store.dueKeys(notAfterMs: 25, limit: 100) == ["Z", "x", "é", "n", "b"])
            #expect(try await store.dueKeys(notAfterMs: .max, limit: 100) == ["Z", "x", "é", "n", "b", "c", "a", "d"])
        }
    }

    @Test("outbox keeps sequence order and deletes through a sequence", arguments: StoreKind.allCases)
    func outbox(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.pendingOutbox(limit: 10).isEmpty)
            let first = (0..<3).map { OutboxEntry(topic: "xiecha.alerts.v1", key: "c\($0)", payload: [UInt8($0), 0]) }
            let second = (3..<5).map { OutboxEntry(topic: "other", key: "c\($0)", payload: [UInt8($0)]) }
            try await store.commit(StoreBatch(outbox: first))
            try await store.commit(StoreBatch(processedEventIds: ["e"], outbox: second))
            let all = try await store.pendingOutbox(limit: 100)
            #expect(all.map(\.key) == ["c0", "c1", "c2", "c3", "c4"])
            #expect(all.map(\.topic) == ["xiecha.alerts.v1", "xiecha.alerts.v1", "xiecha.alerts.v1", "other", "other"])
            #expect(all.map(\.payload) == (first + second).map(\.payload))
            #expect(all.map(\.sequence) == [1, 2, 3, 4, 5])
            #expect(try await store.pendingOutbox(limit: 2) == Array(all.prefix(2)))
            #expect(try await store.pendingOutbox(limit: 0).isEmpty)

            try await store.deleteOutbox(through: all[1].sequence)
            #expect(try await store.pendingOutbox(limit: 100) == Array(all.dropFirst(2)))
            try await store.deleteOutbox(through: all[1].sequence)  // again: nothing more goes
            #expect(try await store.pendingOutbox(limit: 100).count == 3)
            try await store.deleteOutbox(through: .max)
            #expect(try await store.pendingOutbox(limit: 100).isEmpty)

            // Sequences keep increasing after deletions.
            try await store.commit(StoreBatch(outbox: [OutboxEntry(topic: "t", key: "later", payload: [])]))
            let later = try await store.pendingOutbox(limit: 10)
            #expect(later.map(\.key) == ["later"])
            #expect(later.map(\.payload) == [[]])
            #expect((later.first?.sequence ?? 0) > all.last!.sequence)
        }
    }

    @Test("alerts keep the last message per alert id", arguments: StoreKind.allCases)
    func alertsLastWriteWins(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            func alert(_ id: String, _ status: String, _ routing: String, _ payload: [UInt8]) -> AlertRecord {
                AlertRecord(alertId: id, personKey: "p-\(id)", routingKey: routing, status: status, payload: payload)
            }
            try await store.commit(
                StoreBatch(alerts: [
                    alert("b", "open", "421125001001", [1]),
                    alert("a", "open", "421125001001", [2]),
                    alert("b", "closed", "421125001001", [3]),  // same batch: the later one wins
                ])
            )
            #expect(try await store.alertCount() == 2)
            #expect(try await store.alerts() == [alert("a", "open", "421125001001", [2]), alert("b", "closed", "421125001001", [3])])

            try await store.commit(
                StoreBatch(alerts: [alert("a", "open", "421125002002", [4, 4]), alert("c", "open", "unassigned", [])])
            )
            #expect(try await store.alertCount() == 3)
            #expect(
                try await store.alerts() == [
                    alert("a", "open", "421125002002", [4, 4]),
                    alert("b", "closed", "421125001001", [3]),
                    alert("c", "open", "unassigned", []),
                ]
            )
            // Persons in one batch follow the same rule.
            try await store.commit(
                StoreBatch(persons: [
                    PersonRecord(key: "p", state: [1], nextDeadlineMs: 1),
                    PersonRecord(key: "p", state: [2], nextDeadlineMs: nil),
                ])
            )
            #expect(try await store.persons(["p"])["p"] == PersonRecord(key: "p", state: [2], nextDeadlineMs: nil))
            #expect(try await store.dueKeys(notAfterMs: .max, limit: 10).isEmpty)

            // Later batches that keep the indexed columns (same deadline, same person and routing) and ones that
            // change them: every stored column follows the last write either way.
            try await store.commit(
                StoreBatch(
                    persons: [PersonRecord(key: "p", state: [3], nextDeadlineMs: 7), PersonRecord(key: "q", state: [4], nextDeadlineMs: 7)],
                    alerts: [alert("a", "closed", "421125002002", [5])]))
            try await store.commit(
                StoreBatch(
                    persons: [PersonRecord(key: "p", state: [6], nextDeadlineMs: 7), PersonRecord(key: "q", state: [8], nextDeadlineMs: nil)],
                    alerts: [alert("a", "open", "421125002002", [9]), alert("c", "closed", "421125001001", [1])]))
            #expect(
                try await store.persons(["p", "q"]) == [
                    "p": PersonRecord(key: "p", state: [6], nextDeadlineMs: 7), "q": PersonRecord(key: "q", state: [8], nextDeadlineMs: nil),
                ])
            #expect(try await store.dueKeys(notAfterMs: .max, limit: 10) == ["p"])
            #expect(
                try await store.alerts() == [
                    alert("a", "open", "421125002002", [9]),
                    alert("b", "closed", "421125001001", [3]),
                    alert("c", "closed", "421125001001", [1]),
                ]
            )
        }
    }

    @Test("alerts are looked up by id in one call; unknown ids are absent", arguments: StoreKind.allCases)
    func alertsById(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let a = AlertRecord(alertId: "a", personKey: "p-a", routingKey: "421125001001", status: "open", payload: [1, 2])
            let b = AlertRecord(alertId: "b", personKey: "p-b", routingKey: "421125001", status: "closed", payload: [3])
            try await store.commit(StoreBatch(alerts: [a, b]))
            #expect(try await store.alerts(ids: []) == [:])
            #expect(try await store.alerts(ids: ["b", "missing", "a"]) == ["a": a, "b": b])
            #expect(try await store.alerts(ids: ["missing"]) == [:])
            // Ids that look like SQL or JSON are only ids.
            #expect(try await store.alerts(ids: ["a' OR '1'='1", "\"]", "%"]) == [:])
        }
    }

    @Test("a closed store refuses work", arguments: StoreKind.allCases)
    func closed(kind: StoreKind) async throws {
        let store: any StateStore
        var cleanup: (@Sendable () async throws -> Void)? = nil
        switch kind {
        case .memory:
            store = InMemoryStateStore()
        case .sqlite:
            store = try SQLiteStateStore(url: .sqliteInMemory, logger: testLogger)
        case .postgres:
            var location = try testPostgresLocation()
            location.schema = "t_\(randomSuffix())"
            let pg = try await PostgresStateStore.connect(location, logger: testLogger)
            store = pg
            let fixed = location
            cleanup = {
                let again = try await PostgresStateStore.connect(fixed, logger: testLogger)
                try await again.dropSchema()
                try await again.close()
            }
        }
        try await store.migrate()
        try await store.close()
        try await store.close()  // idempotent
        do {
            _ = try await store.alertCount()
            Issue.record("a closed store answered")
        } catch let error as StoreError {
            #expect(error.code == .closed)
        }
        try await cleanup?()
    }
}

struct Snapshot: Equatable {
    var persons: [String: PersonRecord]
    var alerts: [AlertRecord]
    var outbox: [OutboxMessage]
    var due: [String]
    var nextDeadline: Int64?
}

func snapshot(_ store: any StateStore, keys: [String]) async throws -> Snapshot {
    Snapshot(
        persons: try await store.persons(keys),
        alerts: try await store.alerts(),
        outbox: try await store.pendingOutbox(limit: 1_000_000),
        due: try await store.dueKeys(notAfterMs: .max, limit: 1_000_000),
        nextDeadline: try await store.nextDeadlineMs()
    )
}
