import Foundation
import Logging
import Metrics
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
    /// Slices a batch is split into (one per core).
    private let parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Batches smaller than this are applied in one slice.
    private let minimumParallelBatch = 64

    /// Store timings go to `metrics` when given (the worker's; simulate and tests need none).
    private let metrics: WorkerMetrics?

    public init(store: any StateStore, engine: CrosscheckEngine, logger: Logger, metrics: WorkerMetrics? = nil) {
        self.store = store
        self.engine = engine
        self.logger = logger
        self.metrics = metrics
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
        /// The new state of every person the batch changed, encoded for the store. A batch
        /// prepared on top of this one reads these as if they were stored (decoding them like
        /// stored records: the decoded states themselves are not kept, which would cost a copy
        /// of every state and their release on the pipeline's serial path).
        var persons: [XiechaStore.PersonRecord]
        /// One encoded payload per outcome message, in the same order.
        var payloads: [[UInt8]]

        static let empty = PreparedBatch(outcome: Outcome(messages: [], applied: 0, duplicates: 0), persons: [], payloads: [])
    }

    /// Applies `events` in order at clock `now` and commits.
    public func process(_ events: [PersonEvent], now: Timestamp) async throws -> Outcome {
        let prepared = try await prepare(events, now: now, after: nil)
        try await commit(prepared)
        return prepared.outcome
    }

    /// Applies `events` in order, each with the clock at its own `occurredAt`, and commits: what
    /// the Kafka worker does. A person's timeline is then evaluated only as far as her own events
    /// reach, so her result depends on her events alone, never on where batches are cut or on how
    /// far the wall clock had got when a backlog was read; deadlines after her last event fire
    /// from `advance(to:)`.
    public func process(inEventTime events: [PersonEvent]) async throws -> Outcome {
        let prepared = try await prepare(events, now: nil, after: nil)
        try await commit(prepared)
        return prepared.outcome
    }

    /// Applies `events` — all of one instant — at clock `now` and commits, each person's events
    /// folded together before her timeline is evaluated (`xiecha simulate`, which applies its
    /// input instant by instant). The Kafka worker applies event by event (`process`), so its
    /// result does not depend on where batches happen to be cut.
    public func processInstant(_ events: [PersonEvent], now: Timestamp) async throws -> Outcome {
        let prepared = try await prepare(events, now: now, after: nil, groupingByPerson: true)
        try await commit(prepared)
        return prepared.outcome
    }

    /// Applies `events` in order at clock `now` (`nil`: each at its own `occurredAt`) in memory. `previous`, when given, is a batch
    /// prepared earlier whose commit may still be running: its states count as stored, so this
    /// batch can be computed while that one is written (commit them in order).
    ///
    /// Persons are independent, so the batch is split by person over the cores (each person's
    /// events stay in order in one slice); the alert messages come back in event order, exactly
    /// as one slice would give them.
    public func prepare(_ events: [PersonEvent], now: Timestamp?, after previous: PreparedBatch?) async throws -> PreparedBatch {
        try await prepare(events, now: now, after: previous, groupingByPerson: false)
    }

    private func prepare(
        _ events: [PersonEvent], now: Timestamp?, after previous: PreparedBatch?, groupingByPerson: Bool
    ) async throws -> PreparedBatch {
        guard !events.isEmpty else { return .empty }
        let refs = events.map { engine.personRef(idNumber: $0.person.idNumber) }
        var unique = Set(refs)
        var known: [String: XiechaStore.PersonRecord] = [:]
        if let previous, !previous.persons.isEmpty {
            for p in previous.persons where unique.contains(p.key) { known[p.key] = p }
            unique.subtract(known.keys)
        }
        var stored: [String: XiechaStore.PersonRecord] = [:]
        if !unique.isEmpty {
            let reading = ContinuousClock.now
            stored = try await store.persons(Array(unique))
            metrics?.storeSeconds(.read).recordInterval(since: reading)
        }
        if !known.isEmpty { stored.merge(known) { _, newer in newer } }
        let records = stored
        let width = events.count < minimumParallelBatch ? 1 : parallelism
        let slices: [Slice]
        if width == 1 {
            slices = [try applySlice(Array(events.indices), events, refs, records, now, groupingByPerson)]
        } else {
            var members = [[Int]](repeating: [], count: width)
            for (i, key) in refs.enumerated() { members[Int(key.utf8.first ?? 0) % width].append(i) }
            slices = try await withThrowingTaskGroup(of: Slice.self) { group in
                for indices in members where !indices.isEmpty {
                    group.addTask { try self.applySlice(indices, events, refs, records, now, groupingByPerson) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        var produced: [(index: Int, messages: [AlertMessage], payloads: [[UInt8]])] = []
        var persons: [XiechaStore.PersonRecord] = []
        var applied = 0
        for slice in slices {
            produced += slice.produced
            persons += slice.persons
            applied += slice.applied
        }
        produced.sort { $0.index < $1.index }
        return PreparedBatch(
            outcome: Outcome(messages: produced.flatMap(\.messages), applied: applied, duplicates: events.count - applied),
            persons: persons, payloads: produced.flatMap(\.payloads))
    }

    /// What one slice of a batch (a subset of its persons) produced.
    private struct Slice: Sendable {
        var produced: [(index: Int, messages: [AlertMessage], payloads: [[UInt8]])] = []
        var persons: [XiechaStore.PersonRecord] = []
        var applied = 0
    }

    /// Applies the events at `indices` (in order): decodes the stored states it needs, runs the
    /// engine, encodes the new states and the alert payloads. `groupingByPerson` hands each
    /// person's events to the engine together (their messages take the place of her first event).
    private func applySlice(
        _ indices: [Int], _ events: [PersonEvent], _ refs: [String],
        _ stored: [String: XiechaStore.PersonRecord], _ now: Timestamp?, _ groupingByPerson: Bool
    ) throws -> Slice {
        var slice = Slice()
        /// The latest state of every person this slice has seen so far.
        var states: [String: PersonState] = [:]
        /// Persons whose state changed (their latest state is in `states`).
        var touched: Set<String> = []
        func state(_ key: String) throws -> PersonState? {
            if let s = states.removeValue(forKey: key) { return s }
            if let record = stored[key] { return try decodeState(key, record) }
            return nil
        }
        func store(_ key: String, _ outcome: EngineOutcome, messagesAt index: Int) {
            states[key] = outcome.state
            touched.insert(key)
            if !outcome.messages.isEmpty {
                slice.produced.append((index, outcome.messages, outcome.messages.map(\.jsonBytes)))
            }
        }
        if groupingByPerson {
            var order: [String: Int] = [:]
            var units: [[Int]] = []
            for i in indices {
                if let u = order[refs[i]] { units[u].append(i) } else {
                    order[refs[i]] = units.count
                    units.append([i])
                }
            }
            for unit in units {
                let key = refs[unit[0]]
                let current = try state(key)
                var seen = Set<String>()
                let fresh = unit.filter { !(current?.contains(eventId: events[$0].eventId) ?? false) && seen.insert(events[$0].eventId).inserted }
                guard !fresh.isEmpty else {  // processed before
                    if let current { states[key] = current }
                    continue
                }
                slice.applied += fresh.count
                let at = now ?? fresh.map { events[$0].occurredAt }.max()!
                store(key, engine.apply(fresh.map { events[$0] }, to: current, now: at), messagesAt: unit[0])
            }
        } else {
            for i in indices {
                let key = refs[i]
                let current = try state(key)
                if let current, current.contains(eventId: events[i].eventId) {  // processed before
                    states[key] = current
                    continue
                }
                slice.applied += 1
                store(key, engine.apply(events[i], to: current, now: now ?? events[i].occurredAt), messagesAt: i)
            }
        }
        slice.persons.reserveCapacity(touched.count)
        for key in touched { if let state = states[key] { slice.persons.append(record(key, state)) } }
        return slice
    }

    /// Commits a prepared batch: states (with their processed event ids), alerts and outbox in one transaction.
    public func commit(_ prepared: PreparedBatch) async throws {
        try await commit(persons: prepared.persons, messages: prepared.outcome.messages, payloads: prepared.payloads)
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
        for (key, record) in try await store.persons(keys) { states[key] = try decodeState(key, record) }
        return states
    }

    private func decodeState(_ key: String, _ record: XiechaStore.PersonRecord) throws -> PersonState {
        do {
            return try PersonState(storedBytes: record.state)
        } catch {
            throw StoreError(code: .corruptData, message: "person state \(key.prefix(12))… cannot be decoded: \(error)")
        }
    }

    private func record(_ key: String, _ state: PersonState) -> XiechaStore.PersonRecord {
        XiechaStore.PersonRecord(key: key, state: state.storedBytes(), nextDeadlineMs: state.nextDeadline?.millisecondsSinceEpoch)
    }

    private func commit(touched: [String: PersonState], messages: [AlertMessage]) async throws {
        try await commit(persons: touched.map { record($0.key, $0.value) }, messages: messages, payloads: messages.map(\.jsonBytes))
    }

    private func commit(persons: [XiechaStore.PersonRecord], messages: [AlertMessage], payloads: [[UInt8]]) async throws {
        if persons.isEmpty && messages.isEmpty { return }
        var alerts: [AlertRecord] = []
        var outbox: [OutboxEntry] = []
        alerts.reserveCapacity(messages.count)
        outbox.reserveCapacity(messages.count)
        for (m, payload) in zip(messages, payloads) {
            alerts.append(AlertRecord(alertId: m.alertId, personKey: m.subject.personRef, routingKey: m.kafkaKey, status: m.status.rawValue, payload: payload))
            outbox.append(OutboxEntry(topic: Topic.alerts.rawValue, key: m.kafkaKey, payload: payload))
        }
        let committing = ContinuousClock.now
        try await store.commit(StoreBatch(persons: persons, alerts: alerts, outbox: outbox))
        metrics?.storeSeconds(.commit).recordInterval(since: committing)
    }
}

extension PersonState {
    /// The bytes the store keeps for a person: the compact, deterministic binary form.
    func storedBytes() -> [UInt8] { encoded() }

    init(storedBytes: [UInt8]) throws {
        try self.init(decoding: storedBytes)
    }
}
