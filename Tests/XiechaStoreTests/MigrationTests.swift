import Testing

@testable import XiechaStore

@Suite("Migrations")
struct MigrationTests {
    @Test func sqliteFileKeepsItsVersionAcrossOpens() async throws {
        try await withSQLiteFile { url in
            let first = try SQLiteStateStore(url: url, logger: testLogger)
            try await first.migrate()
            try await first.commit(StoreBatch(persons: [PersonRecord(key: "p", state: [1, 2])]))
            try await first.close()

            let second = try SQLiteStateStore(url: url, logger: testLogger)
            try await second.migrate()
            try await second.migrate()
            #expect(try await second.appliedMigrations() == [1, 2, 3])
            #expect(try await second.persons(["p"])["p"]?.state == [1, 2])
            try await second.close()
        }
    }

    @Test func sqliteRefusesANewerSchema() async throws {
        let store = try SQLiteStateStore(url: .sqliteInMemory, logger: testLogger)
        try await store.migrate()
        try await store.execute(unsafeSQL: "INSERT INTO schema_migrations (version) VALUES (99)")
        do {
            try await store.migrate()
            Issue.record("migrated a database from the future")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooNew)
            #expect(error.message.contains("99"))
        }
        try await store.close()
    }

    @Test func postgresRefusesANewerSchema() async throws {
        try await withPostgresStore { store in
            try await store.execute(unsafeSQL: "INSERT INTO schema_migrations (version) VALUES (99)")
            do {
                try await store.migrate()
                Issue.record("migrated a database from the future")
            } catch let error as StoreError {
                #expect(error.code == .schemaTooNew)
                #expect(error.message.contains("99"))
            }
        }
    }

    @Test func postgresConcurrentStartUpsMigrateOnce() async throws {
        try await withPostgresStore { store in
            try await store.execute(unsafeSQL: "DELETE FROM schema_migrations")
            try await store.execute(unsafeSQL: "DROP TABLE audit_log CASCADE")
            try await store.execute(unsafeSQL: "DROP FUNCTION audit_log_append_only")
            try await store.execute(unsafeSQL: "DROP TABLE processed_events, persons, alerts, outbox")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            #expect(try await store.appliedMigrations() == [1, 2, 3])
        }
    }

    @Test(arguments: [StoreKind.sqlite, .postgres])
    func auditLogIsAppendOnly(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let insert = "INSERT INTO audit_log (actor, action, subject) VALUES ('office-1', 'viewed', 'alert-1')"
            let run: (String) async throws -> Void = { sql in
                if let s = store as? SQLiteStateStore { try await s.execute(unsafeSQL: sql) }
                if let s = store as? PostgresStateStore { try await s.execute(unsafeSQL: sql) }
            }
            try await run(insert)
            await #expect(throws: StoreError.self) { try await run("UPDATE audit_log SET actor = 'x'") }
            await #expect(throws: StoreError.self) { try await run("DELETE FROM audit_log") }
        }
    }
}
