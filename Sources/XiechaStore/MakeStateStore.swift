import Logging

/// Opens the store `url` names (see ``StoreURL``) and applies its migrations.
public func makeStateStore(url: String, logger: Logger) async throws -> any StateStore {
    try await makeStateStore(url: StoreURL(parsing: url), logger: logger)
}

/// Opens the store `url` names and applies its migrations.
public func makeStateStore(url: StoreURL, logger: Logger) async throws -> any StateStore {
    let store: any StateStore
    switch url {
    case .memory:
        store = InMemoryStateStore()
    case .sqlite, .sqliteInMemory:
        store = try SQLiteStateStore(url: url, logger: logger)
    case .postgres(let location):
        store = try await PostgresStateStore.connect(location, logger: logger)
    }
    do {
        try await store.migrate()
    } catch {
        try? await store.close()
        throw error
    }
    return store
}
