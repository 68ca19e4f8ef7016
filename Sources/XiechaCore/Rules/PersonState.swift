/// Everything the crosscheck engine keeps about one person between events (the state store
/// saves `encoded()` — a compact binary form, see `PersonStateEncoding.swift` — keyed by ID
/// number, and indexes it by `nextDeadline`). `Codable` gives the same content as JSON.
///
/// Event-time model: the state holds the person's events sorted by `EventKey`
/// (`occurredAt`, `eventId`) and a *timeline*: the facts folded from the events with
/// `occurredAt` ≤ the last evaluated instant, and the alerts as they stand on that timeline
/// (`alerts`). The timeline is evaluated at every event instant and at every deadline (00:00 of a
/// day on which a rule can flip), up to `horizon`. Because evaluation only ever looks at the sorted
/// events and at the clock, the timeline — and so `alerts` — is a function of the *set* of
/// events and the horizon, never of arrival order. An event that arrives late (its `occurredAt` is
/// not after `horizon`) makes the engine evaluate the timeline again from `checkpoint` when the
/// event is later than it, else from the start.
///
/// What was published can differ from the timeline in one way only: an alert that was published
/// open and that a late event shows never existed is published closed (a message cannot be
/// taken back); `retracted` keeps those.
public struct PersonState: Sendable, Hashable, Codable {
    /// The person's ID number (the state-store and Kafka key).
    public let idNumber: String
    /// HMAC-SHA256 of `idNumber` with the configured secret.
    public let personRef: String
    /// All events applied so far, sorted by `EventKey`; `events.map(\.eventId)` has no duplicates.
    /// Every event's `person.idNumber` is `idNumber` (the encodings store it once).
    public internal(set) var events: [PersonEvent] = []
    /// The instant up to which the timeline has been evaluated (the engine clock, never going back).
    public internal(set) var horizon: Timestamp?
    /// The last instant at which the timeline was evaluated (an event instant or a deadline).
    public internal(set) var lastEvaluatedAt: Timestamp?
    /// How many of `events` are folded into `facts` (a prefix: those with `occurredAt` ≤ `lastEvaluatedAt`).
    public internal(set) var foldedCount: Int = 0
    /// The facts as of `lastEvaluatedAt`: the fold of `events[..<foldedCount]` (so the encodings
    /// do not store them; decoding folds them again).
    public internal(set) var facts = PersonFacts()
    /// Her house at the last evaluation, for detecting moves.
    public internal(set) var lastResidence: ResidenceMark?
    /// Every alert on the timeline: alertId → its latest message (open or closed).
    public internal(set) var alerts: [String: AlertMessage] = [:]
    /// Alerts that were published open, that a late event showed never existed, and that were
    /// therefore published closed.
    public internal(set) var retracted: [String: AlertMessage] = [:]
    /// The earliest future instant at which `CrosscheckEngine.advance` can change something, or
    /// `nil` if only a new event can.
    public internal(set) var nextDeadline: Timestamp?
    /// The timeline after the latest event instant evaluated, where a late event after that instant
    /// resumes evaluation; `nil` before any event instant is evaluated.
    public internal(set) var checkpoint: TimelineCheckpoint?

    public init(idNumber: String, personRef: String) {
        self.idNumber = idNumber
        self.personRef = personRef
    }

    /// Ids of `events`: a replayed event is recognised by its id and changes nothing.
    public var eventIds: Set<String> { Set(events.lazy.map(\.eventId)) }

    /// Whether an event with this id was applied. (A person has few events: a scan is cheaper than a set.)
    public func contains(eventId: String) -> Bool {
        events.contains { $0.eventId == eventId }
    }

    /// The last published message per alertId (what every consumer of `xiecha.alerts.v1` holds).
    public var publishedAlerts: [String: AlertMessage] {
        retracted.isEmpty ? alerts : alerts.merging(retracted) { canonical, _ in canonical }
    }

    /// The alerts currently open.
    public var openAlerts: [AlertMessage] {
        alerts.values.filter { $0.status == .open }.sorted { $0.alertId < $1.alertId }
    }
}

/// Where a person lived at an evaluation, and the record that said so.
public struct ResidenceMark: Sendable, Hashable, Codable {
    public var residence: Residence
    public var evidence: AlertEvidence

    public init(residence: Residence, evidence: AlertEvidence) {
        self.residence = residence
        self.evidence = evidence
    }
}

/// The result of applying an event or advancing the clock.
public struct EngineOutcome: Sendable, Hashable {
    /// The person's new state (save it together with publishing `messages`).
    public var state: PersonState
    /// Alert messages to publish, in order: each change of an alert is one message.
    public var messages: [AlertMessage]
    /// The earliest future instant at which `advance` could change something (`state.nextDeadline`).
    public var nextDeadline: Timestamp?

    public init(state: PersonState, messages: [AlertMessage], nextDeadline: Timestamp?) {
        self.state = state
        self.messages = messages
        self.nextDeadline = nextDeadline
    }
}
