import Foundation
import Testing

@testable import XiechaStore

@Suite("Inbox migrations")
struct InboxMigrationTests {
    @Test func sqliteFileKeepsItsInboxAcrossOpens() async throws {
        try await withSQLiteFile { url in
            guard case .sqlite(let path, _) = url else { return }
            let inboxURL = StoreURL.sqlite(path: path + ".inbox", synchronous: .normal)
            let first = try SQLiteInboxStore(url: inboxURL, logger: testLogger)
            try await first.migrate()
            _ = try await first.apply([InboxSamples.message("a")], endpoints: [:], firstAttemptAtMs: 0, nowMs: 0)
            try await first.close()
            let second = try SQLiteInboxStore(url: inboxURL, logger: testLogger)
            try await second.migrate()
            try await second.migrate()
            #expect(try await second.appliedMigrations() == [1])
            #expect(try await second.allAlerts().map(\.alertId) == ["a"])
            try await second.close()
            await #expect(throws: StoreError.self) { try await second.allAlerts() }
        }
    }

    @Test func aMissingDirectoryIsCreated() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xiecha-inbox-\(randomSuffix())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await makeInboxStore(url: .sqlite(path: dir.appendingPathComponent("x/inbox.sqlite").path, synchronous: .normal), logger: testLogger)
        #expect(try await store.allAlerts().isEmpty)
        try await store.close()
    }

    @Test func sqliteRefusesANewerInbox() async throws {
        let store = try SQLiteInboxStore(url: .sqliteInMemory, logger: testLogger)
        try await store.migrate()
        try await store.execute(unsafeSQL: "INSERT INTO inbox_schema_migrations (version) VALUES (99)")
        do {
            try await store.migrate()
            Issue.record("migrated an inbox from the future")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooNew)
            #expect(error.message.contains("99"))
        }
        try await store.close()
    }

    /// Production: one database, the crosscheck's tables and the inbox's side by side, each with its own migrations,
    /// several processes starting at once.
    @Test func postgresInboxBesideTheStateStore() async throws {
        var where_ = try testPostgresLocation()
        where_.schema = "t_\(randomSuffix())"
        let location = where_
        let state = try await PostgresStateStore.connect(location, logger: testLogger)
        defer { Task { try? await state.dropSchema(); try? await state.close() } }
        try await state.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let inbox = try await makeInboxStore(url: .postgres(location), logger: testLogger)
                    try await inbox.close()
                }
            }
            try await group.waitForAll()
        }
        let inbox = try await PostgresInboxStore.connect(location, logger: testLogger)
        #expect(try await inbox.appliedMigrations() == [1])
        #expect(try await state.appliedMigrations() == [1, 2, 3])
        try await state.migrate()
        _ = try await inbox.apply([InboxSamples.message("a")], endpoints: [:], firstAttemptAtMs: 0, nowMs: 0)
        #expect(try await inbox.allAlerts().count == 1)
        #expect(try await state.alertCount() == 0)
        try await inbox.execute(unsafeSQL: "INSERT INTO inbox_schema_migrations (version) VALUES (99)")
        await #expect(throws: StoreError.self) { try await inbox.migrate() }
        try await inbox.close()
    }
}
