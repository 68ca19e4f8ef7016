import Logging

/// Opens the inbox `url` names and applies its migrations: `sqlite:PATH` (its own file), `sqlite::memory:` or
/// `memory:` (a private in-memory SQLite database), or `postgres://…` (tables of its own in that database).
public func makeInboxStore(url: StoreURL, logger: Logger) async throws -> any InboxStore {
    let store: any InboxStore
    switch url {
    case .memory, .sqlite, .sqliteInMemory:
        store = try SQLiteInboxStore(url: url, logger: logger)
    case .postgres(let location):
        store = try await PostgresInboxStore.connect(location, logger: logger)
    }
    do {
        try await store.migrate()
    } catch {
        try? await store.close()
        throw error
    }
    return store
}
