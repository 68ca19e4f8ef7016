import Foundation
import Testing

@testable import XiechaStore

/// The WAL of a SQLite store is copied into the database file by the background checkpointer, not by the
/// committing writer, and no data is lost on the way.
@Suite("SQLite WAL checkpoints")
struct SQLiteCheckpointTests {
    @Test func backgroundCheckpointsCopyTheLogIntoTheFile() async throws {
        try await withSQLiteFile { url in
            guard case .sqlite(let path, _) = url else { Issue.record("not a file URL"); return }
            let store = try SQLiteStateStore(url: url, logger: testLogger, walCheckpointPages: 16)
            try await store.migrate()
            let checkpointer = try #require(store.checkpointer)
            let state = [UInt8](repeating: 7, count: 1_000)
            for batch in 0..<50 {
                let persons = (0..<100).map { PersonRecord(key: "p-\(batch)-\($0)", state: state, nextDeadlineMs: Int64($0)) }
                try await store.commit(StoreBatch(persons: persons))
            }
            await checkpointer.idle()
            // 5,000 states of 1,000 bytes reached the database file while the store is open: only a
            // checkpoint writes there, and the writer's own (autocheckpoint) is replaced by the hook.
            let fileBytes = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            #expect(fileBytes >= 5_000_000)
            #expect(checkpointer.completedCheckpoints > 0)
            let keys = (0..<50).flatMap { b in (0..<100).map { "p-\(b)-\($0)" } }
            let stored = try await store.persons(keys)
            #expect(stored.count == 5_000)
            #expect(stored.values.allSatisfy { $0.state == state })
            try await store.close()
        }
    }
}
