import Synchronization

/// A ``StateStore`` in process memory, for `xiecha simulate` and tests. Same semantics as the SQL stores; nothing
/// survives the process.
public final class InMemoryStateStore: StateStore {
    private struct State {
        var closed = false
        var processed = Set<String>()
        var persons = [String: PersonRecord]()
        var deadlines = DeadlineIndex()
        var alerts = [String: AlertRecord]()
        var outbox: [OutboxMessage] = []
        var outboxStart = 0  // index of the first live message in `outbox`
        var nextSequence: Int64 = 1
    }

    private let state = Mutex(State())

    /// Creates an empty store.
    public init() {}

    public func migrate() async throws {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
        }
    }

    public func persons(_ keys: [String]) async throws -> [String: PersonRecord] {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            var result = [String: PersonRecord](minimumCapacity: keys.count)
            for key in keys {
                if let p = s.persons[key] { result[key] = p }
            }
            return result
        }
    }

    public func processed(among eventIds: [String]) async throws -> Set<String> {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            let known = s.processed
            return Set(eventIds.filter { known.contains($0) })
        }
    }

    public func commit(_ batch: StoreBatch) async throws {
        let (persons, alerts) = batch.collapsed()
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            // Validate before changing anything: the commit is all or nothing.
            if let dup = batch.firstRepeatedEventId() {
                throw StoreError.duplicateEvent(dup, store: "memory:", reason: "it appears twice in the batch")
            }
            if let dup = batch.processedEventIds.first(where: { s.processed.contains($0) }) {
                throw StoreError.duplicateEvent(dup, store: "memory:", reason: "it was already processed")
            }
            s.processed.formUnion(batch.processedEventIds)
            for p in persons {
                s.persons[p.key] = p
                if let d = p.nextDeadlineMs { s.deadlines.insert(deadline: d, key: p.key) }
            }
            for a in alerts { s.alerts[a.alertId] = a }
            for e in batch.outbox {
                s.outbox.append(OutboxMessage(sequence: s.nextSequence, topic: e.topic, key: e.key, payload: e.payload))
                s.nextSequence += 1
            }
            if s.deadlines.needsCompaction(liveCount: s.persons.count) {
                s.deadlines.rebuild(from: s.persons.values)
            }
        }
    }

    public func dueKeys(notAfterMs: Int64, limit: Int) async throws -> [String] {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            let persons = s.persons
            return s.deadlines.due(notAfter: notAfterMs, limit: limit) { persons[$0]?.nextDeadlineMs }
        }
    }

    public func nextDeadlineMs() async throws -> Int64? {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            let persons = s.persons
            return s.deadlines.earliest { persons[$0]?.nextDeadlineMs }
        }
    }

    public func pendingOutbox(limit: Int) async throws -> [OutboxMessage] {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            guard limit > 0 else { return [] }
            let end = min(s.outbox.count, s.outboxStart + limit)
            return Array(s.outbox[s.outboxStart..<end])
        }
    }

    public func deleteOutbox(through sequence: Int64) async throws {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            while s.outboxStart < s.outbox.count, s.outbox[s.outboxStart].sequence <= sequence {
                s.outboxStart += 1
            }
            if s.outboxStart > 1024, s.outboxStart * 2 > s.outbox.count {
                s.outbox.removeFirst(s.outboxStart)
                s.outboxStart = 0
            }
        }
    }

    public func alerts(ids: [String]) async throws -> [String: AlertRecord] {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            var result: [String: AlertRecord] = [:]
            for id in ids { if let a = s.alerts[id] { result[id] = a } }
            return result
        }
    }

    public func alerts() async throws -> [AlertRecord] {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            return s.alerts.values.sorted { utf8Less($0.alertId, $1.alertId) }
        }
    }

    public func alertCount() async throws -> Int {
        try state.withLock { s throws(StoreError) in
            try Self.checkOpen(s)
            return s.alerts.count
        }
    }

    public func close() async throws {
        state.withLock { $0.closed = true }
    }

    private static func checkOpen(_ s: State) throws(StoreError) {
        if s.closed { throw StoreError(code: .closed, message: "the in-memory store (memory:) was closed") }
    }
}

/// A min-heap of (deadline, key) with lazy deletion: an entry is live while the person's current deadline equals it.
struct DeadlineIndex {
    private struct Entry: Comparable {
        var deadline: Int64
        var key: String
        static func < (a: Entry, b: Entry) -> Bool {
            a.deadline != b.deadline ? a.deadline < b.deadline : utf8Less(a.key, b.key)
        }
    }

    private var heap: [Entry] = []

    mutating func insert(deadline: Int64, key: String) {
        push(Entry(deadline: deadline, key: key))
    }

    func needsCompaction(liveCount: Int) -> Bool {
        heap.count > 2 * liveCount + 1024
    }

    mutating func rebuild(from persons: some Sequence<PersonRecord>) {
        heap = persons.compactMap { p in p.nextDeadlineMs.map { Entry(deadline: $0, key: p.key) } }
        heap.sort()  // a sorted array is a valid heap
    }

    /// The earliest live deadline; drops stale entries on the way.
    mutating func earliest(current: (String) -> Int64?) -> Int64? {
        while let top = heap.first {
            if current(top.key) == top.deadline { return top.deadline }
            _ = pop()
        }
        return nil
    }

    /// Up to `limit` live keys with deadline ≤ `notAfter`, in (deadline, key) order. Leaves them in the index.
    mutating func due(notAfter: Int64, limit: Int, current: (String) -> Int64?) -> [String] {
        var taken: [Entry] = []
        var result: [String] = []
        while result.count < max(limit, 0), let top = heap.first, top.deadline <= notAfter {
            let e = pop()
            if current(e.key) == e.deadline, taken.last != e {
                result.append(e.key)
                taken.append(e)
            }
        }
        for e in taken { push(e) }
        return result
    }

    private mutating func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i] < heap[parent] else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func pop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count, heap[l] < heap[m] { m = l }
                if r < heap.count, heap[r] < heap[m] { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

extension StoreError {
    static func duplicateEvent(_ id: String, store: String, reason: String) -> StoreError {
        StoreError(
            code: .duplicateProcessedEvent,
            message: "commit to \(store) rejected, nothing applied: event id '\(id)' is a duplicate (\(reason))"
        )
    }
}
