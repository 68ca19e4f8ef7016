import Logging
import XiechaCore
import XiechaStore

/// The crosscheck step shared by `xiecha worker crosscheck` and `xiecha simulate`: person events
/// in, alert messages out, with the person state, the alerts and an outbox of messages to publish
/// committed in ONE store transaction per batch.
///
/// Replays are harmless: a person's state holds every event applied to it (its timeline), so the
/// processed event ids are committed with the state, and an event already in its person's timeline
/// is skipped: a record delivered twice changes nothing. (The store's separate `processed_events`
/// table would cost one more random index write and one lookup per event; the worker no longer
/// fills it.) The outbox makes publication survive a crash between the
/// store commit and the broker's acknowledgement: the worker publishes the outbox, then deletes it.
public final class CrosscheckProcessor: Sendable {
    public let store: any StateStore
    public let engine: CrosscheckEngine
    private let logger: Logger

    public init(store: any StateStore, engine: CrosscheckEngine, logger: Logger) {
        self.store = store
        self.engine = engine
        self.logger = logger
    }

    /// What one commit did.
    public struct Outcome: Sendable {
        /// Alert messages committed to the outbox, in order.
        public var messages: [AlertMessage]
        /// Events applied (not already processed).
        public var applied: Int
        /// Events skipped as already processed.
        public var duplicates: Int
    }

    /// A batch applied in memory and not yet committed: what `commit(_:)` writes.
    public struct PreparedBatch: Sendable {
        public var outcome: Outcome
        /// The new state of every person the batch changed, by personRef.
        var touched: [String: PersonState]
    }

    /// Applies `events` in order at clock `now` and commits.
    public func process(_ events: [PersonEvent], now: Timestamp) async throws -> Outcome {
        let prepared = try await prepare(events, now: now, after: nil)
        try await commit(prepared)
        return prepared.outcome
    }

    /// Applies `events` in order at clock `now` in memory. `previous`, when given, is a batch
    /// prepared earlier whose commit may still be running: its states count as stored, so this
    /// batch can be computed while that one is written (commit them in order).
    public func prepare(_ events: [PersonEvent], now: Timestamp, after previous: PreparedBatch?) async throws -> PreparedBatch {
        guard !events.isEmpty else { return PreparedBatch(outcome: Outcome(messages: [], applied: 0, duplicates: 0), touched: [:]) }
        let refs = events.map { engine.personRef(idNumber: $0.person.idNumber) }
        var unique = Set(refs)
        var states: [String: PersonState] = [:]
        if let previous {
            for key in unique { if let s = previous.touched[key] { states[key] = s } }
            unique.subtract(states.keys)
        }
        states.merge(try await loadStates(Array(unique))) { mine, _ in mine }
        var messages: [AlertMessage] = []
        var touched: [String: PersonState] = [:]
        var applied = 0
        for (e, key) in zip(events, refs) {
            if let known = states[key], known.contains(eventId: e.eventId) { continue }  // processed before
            applied += 1
            let outcome = engine.apply(e, to: states.removeValue(forKey: key), now: now)
            messages.append(contentsOf: outcome.messages)
            states[key] = outcome.state
            touched[key] = outcome.state
        }
        return PreparedBatch(
            outcome: Outcome(messages: messages, applied: applied, duplicates: events.count - applied),
            touched: touched)
    }

    /// Commits a prepared batch: states (with their processed event ids), alerts and outbox in one transaction.
    public func commit(_ prepared: PreparedBatch) async throws {
        try await commit(touched: prepared.touched, messages: prepared.outcome.messages)
    }

    /// Fires every deadline due at or before `now`, earliest first, committing every `batchSize` persons.
    public func advance(to now: Timestamp, batchSize: Int = 1_000) async throws -> [AlertMessage] {
        var all: [AlertMessage] = []
        while true {
            let keys = try await store.dueKeys(notAfterMs: now.millisecondsSinceEpoch, limit: batchSize)
            if keys.isEmpty { break }
            let states = try await loadStates(keys)
            var touched: [String: PersonState] = [:]
            var messages: [AlertMessage] = []
            for key in keys {
                guard let state = states[key] else { continue }
                let outcome = engine.advance(state, to: now)
                messages.append(contentsOf: outcome.messages)
                touched[key] = outcome.state
            }
            try await commit(touched: touched, messages: messages)
            all.append(contentsOf: messages)
            if keys.count < batchSize { break }
        }
        return all
    }

    private func loadStates(_ keys: [String]) async throws -> [String: PersonState] {
        guard !keys.isEmpty else { return [:] }
        var states: [String: PersonState] = [:]
        for (key, record) in try await store.persons(keys) {
            do {
                states[key] = try PersonState(storedBytes: record.state)
            } catch {
                throw StoreError(code: .corruptData, message: "person state \(key.prefix(12))… cannot be decoded: \(error)")
            }
        }
        return states
    }

    private func commit(touched: [String: PersonState], messages: [AlertMessage]) async throws {
        if touched.isEmpty && messages.isEmpty { return }
        var persons: [XiechaStore.PersonRecord] = []
        persons.reserveCapacity(touched.count)
        for (key, state) in touched {
            persons.append(XiechaStore.PersonRecord(key: key, state: state.storedBytes(), nextDeadlineMs: state.nextDeadline?.millisecondsSinceEpoch))
        }
        var alerts: [AlertRecord] = []
        var outbox: [OutboxEntry] = []
        for m in messages {
            let payload = m.jsonBytes
            alerts.append(AlertRecord(alertId: m.alertId, personKey: m.subject.personRef, routingKey: m.kafkaKey, status: m.status.rawValue, payload: payload))
            outbox.append(OutboxEntry(topic: Topic.alerts.rawValue, key: m.kafkaKey, payload: payload))
        }
        try await store.commit(StoreBatch(persons: persons, alerts: alerts, outbox: outbox))
    }
}

extension PersonState {
    /// The bytes the store keeps for a person: the compact, deterministic binary form.
    func storedBytes() -> [UInt8] { encoded() }

    init(storedBytes: [UInt8]) throws {
        try self.init(decoding: storedBytes)
    }
}
