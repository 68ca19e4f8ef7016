import Foundation
import Testing

@testable import XiechaStore

/// The inbox backends: the embedded one and the production one.
enum InboxKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, migrated inbox of `kind`, torn down after `body` (temporary file removed, schema dropped).
func withInbox<T>(_ kind: InboxKind, _ body: (any InboxStore) async throws -> T) async throws -> T {
    switch kind {
    case .sqlite:
        return try await withSQLiteFile { url in
            guard case .sqlite(let statePath, _) = url else { throw TestSetupError(description: "not a SQLite URL") }
            let path = URL(fileURLWithPath: statePath).deletingLastPathComponent().appendingPathComponent("inbox.sqlite").path
            let store = try SQLiteInboxStore(url: .sqlite(path: path, synchronous: .normal), logger: testLogger)
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
        var location = try testPostgresLocation()
        location.schema = "t_\(randomSuffix())"
        let store = try await PostgresInboxStore.connect(location, logger: testLogger)
        do {
            try await store.migrate()
            let result = try await body(store)
            try await store.execute(unsafeSQL: "DROP SCHEMA IF EXISTS \(location.schema!) CASCADE")
            try await store.close()
            return result
        } catch {
            try? await store.execute(unsafeSQL: "DROP SCHEMA IF EXISTS \(location.schema!) CASCADE")
            try? await store.close()
            throw error
        }
    }
}

/// Builds alert messages the way the notify worker hands them to the inbox.
enum InboxSamples {
    static let street1 = "421125001"
    static let street2 = "421125002"
    static let community1 = "421125001001"
    static let community2 = "421125001002"
    static let community3 = "421125002001"

    /// A message of alert `id`; `change` makes the payload of one change of it distinct.
    static func message(
        _ id: String, change: Int = 1, status: String = "open", type: String = "certificate_missing", audience: String = "community",
        community: String = community1, street: String? = street1, raisedAtMs: Int64 = 1_790_000_000_000, dueByMs: Int64? = nil
    ) -> InboxMessage {
        let due = dueByMs ?? raisedAtMs + 7 * 86_400_000
        let streetJSON = street.map { #"{"code":"\#($0)","name":"街道"}"# } ?? "null"
        let payload = #"{"alertId":"\#(id)","audience":"\#(audience)","change":\#(change),"community":{"code":"\#(community)","name":"社区"},"dueBy":\#(due),"raisedAt":\#(raisedAtMs),"status":"\#(status)","street":\#(streetJSON),"subject":{"maskedId":"4211**********002X","maskedName":"王*","personRef":"ab"},"type":"\#(type)"}"#
        return InboxMessage(
            alertId: id, type: type, status: status,
            routing: InboxRouting(audience: audience, communityCode: community, streetCode: street), raisedAtMs: raisedAtMs,
            dueByMs: due, closedAtMs: status == "closed" ? raisedAtMs + 1000 : nil, payload: Array(payload.utf8))
    }
}

/// Everything an inbox holds that must be the same however it got there (the arrival times aside).
struct InboxSnapshot: Equatable, CustomStringConvertible {
    struct Alert: Equatable {
        var alertId: String
        var sequence: Int64
        var status: String
        var routing: InboxRouting
        var payload: [UInt8]
    }
    struct Entry: Equatable {
        var alertId: String
        var sequence: Int64
        var payload: [UInt8]
    }
    var alerts: [Alert]
    var history: [Entry]

    static func of(_ store: any InboxStore) async throws -> InboxSnapshot {
        InboxSnapshot(
            alerts: try await store.allAlerts().map { Alert(alertId: $0.alertId, sequence: $0.sequence, status: $0.status, routing: $0.routing, payload: $0.payload) },
            history: try await store.allHistory().map { Entry(alertId: $0.alertId, sequence: $0.sequence, payload: $0.payload) })
    }

    var description: String { "\(alerts.count) alerts, \(history.count) history entries" }
}
