import Foundation
import Logging
import Testing

@testable import XiechaStore

/// Which implementation a behavioural test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case memory
    case postgres

    var testDescription: String { rawValue }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

let testLogger = Logger(label: "xiecha.store.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The test PostgreSQL URL; fails (never skips) when it is not configured.
func testPostgresLocation() throws -> StoreURL.PostgresLocation {
    guard let raw = ProcessInfo.processInfo.environment["XIECHA_TEST_POSTGRES_URL"], !raw.isEmpty else {
        throw TestSetupError(
            description: """
                XIECHA_TEST_POSTGRES_URL is not set, so the PostgreSQL store tests cannot run. Start a throw-away \
                server with `scripts/postgres/start-test-server.sh /tmp/xiecha-pg 54329` and export the URL it \
                prints, e.g. `export XIECHA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:54329/xiecha_test` \
                (`make test` does both).
                """
        )
    }
    guard case .postgres(let location) = try StoreURL(parsing: raw) else {
        throw TestSetupError(description: "XIECHA_TEST_POSTGRES_URL must be a postgres:// URL, not '\(raw)'")
    }
    return location
}

func randomSuffix() -> String {
    String(UInt64.random(in: 0...UInt64.max), radix: 16)
}

/// A fresh, migrated store of `kind`, torn down after `body` (temp file removed, schema dropped).
func withStore<T>(
    _ kind: StoreKind,
    _ body: (any StateStore) async throws -> T
) async throws -> T {
    switch kind {
    case .memory:
        let store = InMemoryStateStore()
        try await store.migrate()
        defer { Task { try? await store.close() } }
        return try await body(store)
    case .sqlite:
        return try await withSQLiteFile { url in
            let store = try SQLiteStateStore(url: url, logger: testLogger)
            try await store.migrate()
            do {
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        }
    case .postgres:
        return try await withPostgresStore { store in try await body(store) }
    }
}

/// A fresh SQLite file URL in a temporary directory that is removed afterwards.
func withSQLiteFile<T>(_ body: (StoreURL) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xiecha-store-\(randomSuffix())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try await body(.sqlite(path: dir.appendingPathComponent("state.sqlite").path, synchronous: .normal))
}

/// A migrated PostgreSQL store in its own fresh schema, dropped afterwards.
func withPostgresStore<T>(_ body: (PostgresStateStore) async throws -> T) async throws -> T {
    var location = try testPostgresLocation()
    location.schema = "t_\(randomSuffix())"
    let store = try await PostgresStateStore.connect(location, logger: testLogger)
    do {
        try await store.migrate()
        let result = try await body(store)
        try await store.dropSchema()
        try await store.close()
        return result
    } catch {
        try? await store.dropSchema()
        try? await store.close()
        throw error
    }
}

/// Deterministic pseudo-random numbers (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}
