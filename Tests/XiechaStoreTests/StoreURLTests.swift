import Testing

@testable import XiechaStore

@Suite("StoreURL")
struct StoreURLTests {
    @Test func sqlite() throws {
        #expect(try StoreURL(parsing: "sqlite:/var/lib/xiecha/state.db") == .sqlite(path: "/var/lib/xiecha/state.db", synchronous: .normal))
        #expect(try StoreURL(parsing: "sqlite:state.db") == .sqlite(path: "state.db", synchronous: .normal))
        #expect(try StoreURL(parsing: "sqlite:///tmp/x.db") == .sqlite(path: "/tmp/x.db", synchronous: .normal))
        #expect(try StoreURL(parsing: "sqlite:x.db?synchronous=full") == .sqlite(path: "x.db", synchronous: .full))
        #expect(try StoreURL(parsing: "sqlite::memory:") == .sqliteInMemory)
        #expect(try StoreURL(parsing: " memory: ") == .memory)
    }

    @Test func postgres() throws {
        let url = try StoreURL(parsing: "postgres://xiecha:s%40cret@db.example:6432/state?sslmode=require&schema=crosscheck")
        guard case .postgres(let p) = url else {
            Issue.record("not postgres: \(url)")
            return
        }
        #expect(p.host == "db.example")
        #expect(p.port == 6432)
        #expect(p.username == "xiecha")
        #expect(p.password == "s@cret")
        #expect(p.database == "state")
        #expect(p.sslMode == .require)
        #expect(p.schema == "crosscheck")
        #expect(url.description == "postgres://xiecha:***@db.example:6432/state?schema=crosscheck&sslmode=require")

        let short = try StoreURL(parsing: "postgresql://me@localhost")
        #expect(short == .postgres(.init(host: "localhost", port: 5432, username: "me", database: "me")))
    }

    @Test(arguments: [
        "", "mysql://u@h/db", "sqlite:", "file:/x.db", "postgres://host/db", "postgres://u@/db",
        "postgres://u@h/db?sslmode=verify", "postgres://u@h/db?schema=Bad-Name", "postgres://u@h/db?foo=1",
        "postgres://u@h:99999/db", "sqlite:x.db?journal=off", "postgres://u@h/a/b",
    ])
    func rejected(_ raw: String) throws {
        do {
            let url = try StoreURL(parsing: raw)
            Issue.record("accepted '\(raw)' as \(url)")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(error.message.contains("store URL"))
        }
    }

    @Test func errorsNeverShowPasswords() throws {
        do {
            _ = try StoreURL(parsing: "postgres://u:hunter2@h/db?sslmode=bogus")
            Issue.record("accepted a bad sslmode")
        } catch {
            #expect(!error.message.contains("hunter2"))
            #expect(error.message.contains("u:***@h"))
        }
    }

    @Test func unreachablePostgresFailsClearly() async throws {
        // Port 1 on loopback: nothing listens there.
        let location = StoreURL.PostgresLocation(host: "127.0.0.1", port: 1, username: "u", password: "pw", database: "d")
        do {
            let store = try await PostgresStateStore.connect(location, logger: testLogger, timeout: .seconds(5))
            try await store.close()
            Issue.record("connected to port 1")
        } catch let error as StoreError {
            #expect(error.code == .connectionFailed)
            #expect(error.message.contains("127.0.0.1:1"))
            #expect(!error.message.contains("pw"))
        }
    }

    @Test func makeStateStoreOpensEveryKind() async throws {
        let memory = try await makeStateStore(url: "memory:", logger: testLogger)
        #expect(memory is InMemoryStateStore)
        try await memory.close()
        let sqlite = try await makeStateStore(url: "sqlite::memory:", logger: testLogger)
        #expect(sqlite is SQLiteStateStore)
        #expect(try await sqlite.alertCount() == 0)
        try await sqlite.close()
    }
}
