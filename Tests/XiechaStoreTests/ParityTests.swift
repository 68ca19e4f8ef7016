import Testing

@testable import XiechaStore

@Suite("Store parity")
struct ParityTests {
    /// One random history of 50 batches, as the crosscheck worker could produce it.
    static func batches(seed: UInt64) -> [StoreBatch] {
        var rng = SeededRandom(seed: seed)
        var eventNo = 0
        return (0..<50).map { _ in
            var batch = StoreBatch()
            for _ in 0..<Int.random(in: 0...60, using: &rng) {
                batch.processedEventIds.append("rec-\(eventNo)")
                eventNo += 1
            }
            for _ in 0..<Int.random(in: 0...80, using: &rng) {
                let key = "4211251990\(String(Int.random(in: 0..<200, using: &rng)))"
                let deadline: Int64? =
                    Bool.random(using: &rng) ? nil : Int64.random(in: 1_700_000_000_000...1_800_000_000_000, using: &rng)
                batch.persons.append(
                    PersonRecord(key: key, state: rng.bytes(Int.random(in: 0...120, using: &rng)), nextDeadlineMs: deadline)
                )
            }
            for _ in 0..<Int.random(in: 0...20, using: &rng) {
                let id = "alert-\(Int.random(in: 0..<100, using: &rng))"
                batch.alerts.append(
                    AlertRecord(
                        alertId: id,
                        personKey: "4211251990\(Int.random(in: 0..<200, using: &rng))",
                        routingKey: Bool.random(using: &rng) ? "421125001001" : "unassigned",
                        status: Bool.random(using: &rng) ? "open" : "closed",
                        payload: rng.bytes(Int.random(in: 0...200, using: &rng))
                    )
                )
                batch.outbox.append(
                    OutboxEntry(topic: "xiecha.alerts.v1", key: "421125001001", payload: rng.bytes(16))
                )
            }
            return batch
        }
    }

    @Test("the same 50 batches give byte-identical state in SQLite, in memory and PostgreSQL")
    func parity() async throws {
        let batches = Self.batches(seed: 20_260_901)
        let keys = (0..<200).map { "4211251990\($0)" }
        let memory = try await withStore(.memory) { try await Self.apply(batches, to: $0, keys: keys) }
        let sqlite = try await withStore(.sqlite) { try await Self.apply(batches, to: $0, keys: keys) }
        let postgres = try await withStore(.postgres) { try await Self.apply(batches, to: $0, keys: keys) }

        #expect(memory.persons.count > 100)
        #expect(memory.alerts.count > 50)
        #expect(sqlite == memory)
        #expect(postgres == memory)
        // Outbox messages: the same content in the same order (sequences too, from a fresh store).
        #expect(sqlite.outbox == memory.outbox)
        #expect(postgres.outbox == memory.outbox)
    }

    static func apply(_ batches: [StoreBatch], to store: any StateStore, keys: [String]) async throws -> Snapshot {
        for (i, batch) in batches.enumerated() {
            try await store.commit(batch)
            if i == 25 {
                // Deleting part of the outbox midway must not change later sequences.
                let pending = try await store.pendingOutbox(limit: 10)
                if let last = pending.last { try await store.deleteOutbox(through: last.sequence) }
            }
        }
        return try await snapshot(store, keys: keys)
    }
}
