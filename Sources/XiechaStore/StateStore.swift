/// One person's state as the rules engine encoded it, and the next instant (epoch milliseconds) one of the person's
/// timers fires, if any. The store never looks inside `state`.
public struct PersonRecord: Sendable, Hashable {
    /// The person key (the key of `xiecha.person-events.v1`).
    public var key: String
    /// Opaque encoded state.
    public var state: [UInt8]
    /// When the person's earliest timer fires, in milliseconds since the Unix epoch; `nil` when none is set.
    public var nextDeadlineMs: Int64?

    /// Creates a record.
    public init(key: String, state: [UInt8], nextDeadlineMs: Int64? = nil) {
        self.key = key
        self.state = state
        self.nextDeadlineMs = nextDeadlineMs
    }
}

/// The latest message of one alert. The store keeps the last message per `alertId`.
public struct AlertRecord: Sendable, Hashable {
    /// Deterministic alert id.
    public var alertId: String
    /// The person the alert is about.
    public var personKey: String
    /// Community or street code the alert is published to.
    public var routingKey: String
    /// `open` or `closed` (opaque to the store).
    public var status: String
    /// Opaque encoded alert message.
    public var payload: [UInt8]

    /// Creates a record.
    public init(alertId: String, personKey: String, routingKey: String, status: String, payload: [UInt8]) {
        self.alertId = alertId
        self.personKey = personKey
        self.routingKey = routingKey
        self.status = status
        self.payload = payload
    }
}

/// A message waiting in the transactional outbox to be published to Kafka.
public struct OutboxMessage: Sendable, Hashable {
    /// Position in the outbox; increases with every appended message, starting at 1.
    public var sequence: Int64
    /// Kafka topic.
    public var topic: String
    /// Kafka message key.
    public var key: String
    /// Kafka message value.
    public var payload: [UInt8]

    /// Creates a message.
    public init(sequence: Int64, topic: String, key: String, payload: [UInt8]) {
        self.sequence = sequence
        self.topic = topic
        self.key = key
        self.payload = payload
    }
}

/// A message to append to the outbox (its sequence is assigned on commit).
public struct OutboxEntry: Sendable, Hashable {
    /// Kafka topic.
    public var topic: String
    /// Kafka message key.
    public var key: String
    /// Kafka message value.
    public var payload: [UInt8]

    /// Creates an entry.
    public init(topic: String, key: String, payload: [UInt8]) {
        self.topic = topic
        self.key = key
        self.payload = payload
    }
}

/// Everything one processed batch of events changes, committed in one transaction by ``StateStore/commit(_:)``.
///
/// - `processedEventIds`: recorded as processed. An id that is already recorded, or that appears twice, makes the
///   whole commit fail with ``StoreError/Code/duplicateProcessedEvent`` and apply nothing.
/// - `persons`, `alerts`: upserted; when a key (alert id) appears more than once, the last occurrence wins.
/// - `outbox`: appended in array order.
public struct StoreBatch: Sendable, Hashable {
    /// Event ids (`recordId`s) this batch processed.
    public var processedEventIds: [String]
    /// New person states.
    public var persons: [PersonRecord]
    /// Latest alert messages.
    public var alerts: [AlertRecord]
    /// Messages to publish after the commit.
    public var outbox: [OutboxEntry]

    /// Creates a batch.
    public init(
        processedEventIds: [String] = [],
        persons: [PersonRecord] = [],
        alerts: [AlertRecord] = [],
        outbox: [OutboxEntry] = []
    ) {
        self.processedEventIds = processedEventIds
        self.persons = persons
        self.alerts = alerts
        self.outbox = outbox
    }

    /// Whether the batch changes nothing.
    public var isEmpty: Bool {
        processedEventIds.isEmpty && persons.isEmpty && alerts.isEmpty && outbox.isEmpty
    }
}

/// The crosscheck worker's durable state: processed event ids, person states with their next deadline, the latest
/// message of every alert, and the transactional outbox.
///
/// Implementations: ``SQLiteStateStore``, ``PostgresStateStore``, ``InMemoryStateStore``; they behave identically
/// (the same batches give byte-identical persons and alerts). Keys and ids order by their UTF-8 bytes.
public protocol StateStore: Sendable {
    /// Applies every schema migration this build knows that the database lacks. Idempotent; safe to run from several
    /// processes at once.
    func migrate() async throws

    /// The stored records among `keys`, by key; unknown keys are absent. One query, however many keys.
    func persons(_ keys: [String]) async throws -> [String: PersonRecord]

    /// Which of `eventIds` were already processed. One query, however many ids.
    func processed(among eventIds: [String]) async throws -> Set<String>

    /// Applies `batch` in one transaction: all of it or nothing.
    func commit(_ batch: StoreBatch) async throws

    /// Keys of persons whose next deadline is at or before `notAfterMs`, earliest deadline first (ties by key), at
    /// most `limit` of them.
    func dueKeys(notAfterMs: Int64, limit: Int) async throws -> [String]

    /// The earliest next deadline of any person, if any.
    func nextDeadlineMs() async throws -> Int64?

    /// The oldest `limit` outbox messages, in sequence order.
    func pendingOutbox(limit: Int) async throws -> [OutboxMessage]

    /// Removes every outbox message with a sequence at or below `sequence` (after the broker acknowledged them).
    func deleteOutbox(through sequence: Int64) async throws

    /// Every alert's latest message, ordered by alert id.
    func alerts() async throws -> [AlertRecord]

    /// The latest messages of the alerts among `ids`, by id; unknown ids are absent. One query, however
    /// many ids: what the office app needs to find the person behind an alert it acts on.
    func alerts(ids: [String]) async throws -> [String: AlertRecord]

    /// How many alerts are stored.
    func alertCount() async throws -> Int

    /// Releases connections. Idempotent; afterwards every call throws ``StoreError/Code/closed``.
    func close() async throws
}

/// Byte-wise (UTF-8) ordering, the order every store uses for keys and ids.
@inline(__always)
func utf8Less(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

extension StoreBatch {
    /// The batch with duplicate person keys and alert ids collapsed to their last occurrence, keeping first-seen
    /// order. Upserting a key twice in one statement is an error in PostgreSQL; this gives every backend the same
    /// last-write-wins semantics.
    func collapsed() -> (persons: [PersonRecord], alerts: [AlertRecord]) {
        (lastPerKey(persons, key: \.key), lastPerKey(alerts, key: \.alertId))
    }

    /// The first event id that appears twice in `processedEventIds`, if any.
    func firstRepeatedEventId() -> String? {
        var seen = Set<String>(minimumCapacity: processedEventIds.count)
        for id in processedEventIds where !seen.insert(id).inserted {
            return id
        }
        return nil
    }
}

private func lastPerKey<T>(_ items: [T], key: (T) -> String) -> [T] {
    var index = [String: Int](minimumCapacity: items.count)
    var result: [T] = []
    result.reserveCapacity(items.count)
    for item in items {
        let k = key(item)
        if let i = index[k] {
            result[i] = item
        } else {
            index[k] = result.count
            result.append(item)
        }
    }
    return result
}
