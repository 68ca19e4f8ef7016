import Foundation
import Testing

@testable import XiechaStore

/// Measures what one crosscheck batch costs the store: load persons, look up processed ids, commit.
///
/// Always runs and prints its figures; the targets (commit of 2,000 persons + 2,000 ids + 300 alerts well under
/// 40 ms on SQLite and 80 ms on PostgreSQL) are asserted in release builds only, since debug builds of GRDB and
/// postgres-nio are several times slower:
///
///     swift build -c release -Xswiftc -enable-testing --build-tests
///     swift test -c release --skip-build --filter CommitTimingTests
@Suite("Commit timing", .serialized)
struct CommitTimingTests {
    struct Figures: CustomStringConvertible {
        var samples: [Double]
        var median: Double { samples.sorted()[samples.count / 2] }
        var p90: Double { samples.sorted()[min(samples.count - 1, samples.count * 9 / 10)] }
        var max: Double { samples.max() ?? 0 }
        var description: String {
            String(format: "median %.1f ms, p90 %.1f ms, max %.1f ms", median, p90, max)
        }
    }

    #if DEBUG
    // Keep `swift test` quick; the debug figures only show the code path works.
    static let iterations = 4
    static let sizes = [2000]
    #else
    static let iterations = 20
    static let sizes = [1000, 2000, 5000]
    #endif

    @Test(arguments: [StoreKind.sqlite, .postgres, .memory], Self.sizes)
    func commitBatch(kind: StoreKind, persons batchSize: Int) async throws {
        let alertsPerBatch = batchSize * 3 / 20  // 300 per 2,000
        var rng = SeededRandom(seed: UInt64(batchSize))
        let personPool = 10 * batchSize
        var eventNo = 0
        let (commit, load, lookup) = try await withStore(kind) { store in
            var commit: [Double] = []
            var load: [Double] = []
            var lookup: [Double] = []
            for i in 0..<(Self.iterations + 3) {
                var batch = StoreBatch()
                var keys: [String] = []
                for _ in 0..<batchSize {
                    let key = "421125199\(String(format: "%09d", Int.random(in: 0..<personPool, using: &rng)))"
                    keys.append(key)
                    batch.persons.append(
                        PersonRecord(
                            key: key,
                            state: rng.bytes(300),
                            nextDeadlineMs: Bool.random(using: &rng) ? Int64.random(in: 0...1 << 42, using: &rng) : nil
                        )
                    )
                    batch.processedEventIds.append("police.residence-permits.v1/\(eventNo)")
                    eventNo += 1
                }
                for _ in 0..<alertsPerBatch {
                    let id = "alert-\(Int.random(in: 0..<(5 * batchSize), using: &rng))"
                    let payload = rng.bytes(400)
                    batch.alerts.append(
                        AlertRecord(alertId: id, personKey: keys[0], routingKey: "421125001001", status: "open", payload: payload)
                    )
                    batch.outbox.append(OutboxEntry(topic: "xiecha.alerts.v1", key: "421125001001", payload: payload))
                }
                let clock = ContinuousClock()
                let t0 = clock.now
                _ = try await store.persons(keys)
                let t1 = clock.now
                _ = try await store.processed(among: batch.processedEventIds)
                let t2 = clock.now
                try await store.commit(batch)
                let t3 = clock.now
                if i >= 3 {  // the first batches warm up caches and statements
                    load.append(ms(t1 - t0))
                    lookup.append(ms(t2 - t1))
                    commit.append(ms(t3 - t2))
                }
                if i % 5 == 4 {
                    // The relay drains the outbox now and then.
                    if let last = try await store.pendingOutbox(limit: 100_000).last {
                        try await store.deleteOutbox(through: last.sequence)
                    }
                }
            }
            return (Figures(samples: commit), Figures(samples: load), Figures(samples: lookup))
        }
        #if DEBUG
        let mode = "debug"
        #else
        let mode = "release"
        #endif
        print(
            "store timing [\(kind.rawValue), \(mode)] batch \(batchSize) persons + \(batchSize) ids + "
                + "\(alertsPerBatch) alerts/outbox: commit \(commit); load persons \(load); processed lookup \(lookup)"
        )
        #if !DEBUG
        if batchSize == 2000 {
            switch kind {
            case .sqlite: #expect(commit.median < 40, "SQLite commit too slow: \(commit)")
            case .postgres: #expect(commit.median < 80, "PostgreSQL commit too slow: \(commit)")
            case .memory: #expect(commit.median < 10, "in-memory commit too slow: \(commit)")
            }
        }
        #endif
    }
}

private func ms(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}
