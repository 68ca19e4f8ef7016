/// The cross-check rules (DESIGN.md "Rules"), as a pure function of a person's events and the clock.
///
/// Semantics, in short:
/// - **Event time.** A fact counts from its event's `occurredAt`. The engine evaluates the rules
///   on a timeline: at every event instant (all events of that instant folded first) and at
///   00:00 (jurisdiction zone) of every day on which a rule can flip — arrival + 30 days, a
///   certificate's `validUntil` − 30 / + 1, a permit's `validUntil` + 1, her 18th and 50th
///   birthdays. The clock (`now`) bounds the timeline: nothing after `now` is evaluated yet.
/// - **Order independence.** The timeline depends only on the set of events, so any arrival
///   order gives the same `PersonState.alerts` at the same `now`. Events in event-time order
///   extend the timeline; a late event (not after the state's `horizon`) replays it — from the
///   state's `checkpoint` (the latest evaluated event instant) when the event is later than that,
///   else from the start — and the engine publishes the difference. The one case a permutation can still show:
///   an alert already published open that the late event shows never existed is published
///   closed (closedBy = that event) — a published message cannot be taken back.
/// - **Idempotence.** An event whose `eventId` was applied before changes nothing.
/// - **Alert fields are facts, not arrival.** `raisedAt` is the timeline instant the alert
///   opened (a deadline's 00:00 or the `occurredAt` of the event that made it true); `closedAt`
///   likewise; `dueBy` = `raisedAt` + `escalationDays`; `reason` and `evidence` are computed
///   from the facts at that instant; `community`/`street` from her current house (see
///   `PersonFacts.currentResidence`), so open alerts follow her when she moves.
/// - **Scope.** Certificate rules (missing, expiring, expired, marital change, missing child)
///   apply on day D only while she is in scope (sex, migrant, age on D) and present: a live
///   permit, an unrevoked licence or an active enrolment as guardian. Scope and presence decide
///   when an alert is *raised*; an open alert closes only on its own condition in DESIGN.md's
///   "closed when" column (a valid certificate, a renewal, a certificate issued after the
///   registration, a certificate listing the child: `closedBy` = that certificate record), never
///   because she turned 50, left or the clock passed a date. `moved_in`/`moved_out` need scope on
///   the day her permit's house changes community; `record_conflict` applies to everyone. Alerts
///   closed only by acknowledgement (`moved_*`, `record_conflict`) are never closed by the engine;
///   `moved_*` stay with the community they were addressed to (a handover), every other open
///   alert follows her house.
public struct CrosscheckEngine: Sendable {
    public var configuration: RulesConfiguration {
        didSet {
            if configuration.personRefSecret != personRefHasher.secret {
                personRefHasher = PersonRefHasher(secret: configuration.personRefSecret)
            }
        }
    }
    /// `personRef` with the configured secret, the HMAC key prepared once.
    private var personRefHasher: PersonRefHasher

    public init(configuration: RulesConfiguration = RulesConfiguration()) {
        self.configuration = configuration
        self.personRefHasher = PersonRefHasher(secret: configuration.personRefSecret)
    }

    /// `personRef` of an ID number: HMAC-SHA256 with the configured secret, lowercase hex.
    public func personRef(idNumber: String) -> String { personRefHasher.personRef(idNumber: idNumber) }

    /// A new, empty state for the person with this ID number.
    public func newState(idNumber: String) -> PersonState {
        PersonState(idNumber: idNumber, personRef: personRef(idNumber: idNumber))
    }

    /// Applies one event about a person (the state's `idNumber` must match the event's person)
    /// with the clock at `now`: folds it in, evaluates the timeline up to `now` (or the state's
    /// horizon if that is later), and returns the alert messages to publish.
    public func apply(_ event: PersonEvent, to state: consuming PersonState?, now: Timestamp) -> EngineOutcome {
        apply(CollectionOfOne(event), to: state, now: now)
    }

    /// Applies several events about one person at once: all are folded in before the timeline is
    /// evaluated, so events of one instant are never evaluated one without the other (applied one
    /// by one, the second of two same-instant events is late and can retract what the first
    /// published). Events already applied, or repeated in `events`, change nothing.
    public func apply(_ events: some Collection<PersonEvent>, to state: consuming PersonState?, now: Timestamp) -> EngineOutcome {
        guard let firstEvent = events.first else {
            preconditionFailure("apply needs at least one event")
        }
        var s = (consume state) ?? newState(idNumber: firstEvent.person.idNumber)
        var earliest: PersonEvent?
        for event in events {
            precondition(s.idNumber == event.person.idNumber, "event for another person applied to this state")
            if s.contains(eventId: event.eventId) { continue }
            let key = EventKey(event)
            var stored = event
            stored.person.idNumber = s.idNumber  // share one string for every event
            s.events.insert(stored, at: insertionIndex(of: key, in: s.events))
            if earliest.map({ key < EventKey($0) }) ?? true { earliest = event }
        }
        guard let earliest else {
            let deadline = s.nextDeadline
            return EngineOutcome(state: consume s, messages: [], nextDeadline: deadline)
        }
        let target = max(s.horizon ?? now, now)
        let messages: [AlertMessage]
        if let horizon = s.horizon, earliest.occurredAt <= horizon {
            messages = replay(&s, until: target, lateEvent: earliest)
        } else {
            messages = run(&s, until: target)
            if !s.retracted.isEmpty { for m in messages { s.retracted[m.alertId] = nil } }
        }
        let deadline = nextDeadline(s)
        s.nextDeadline = deadline
        return EngineOutcome(state: consume s, messages: messages, nextDeadline: deadline)
    }

    /// Moves the clock to `now` and fires every deadline up to it. Does nothing if `now` is not
    /// after the state's horizon.
    public func advance(_ state: consuming PersonState, to now: Timestamp) -> EngineOutcome {
        var s = consume state
        guard s.horizon.map({ now > $0 }) ?? true else {
            let deadline = s.nextDeadline
            return EngineOutcome(state: consume s, messages: [], nextDeadline: deadline)
        }
        let messages = run(&s, until: now)
        if !s.retracted.isEmpty { for m in messages { s.retracted[m.alertId] = nil } }
        let deadline = nextDeadline(s)
        s.nextDeadline = deadline
        return EngineOutcome(state: consume s, messages: messages, nextDeadline: deadline)
    }

    // MARK: - Timeline

    private func insertionIndex(of key: EventKey, in events: [PersonEvent]) -> Int {
        if let last = events.last, EventKey(last) < key { return events.count }
        var lo = 0
        var hi = events.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if EventKey(events[mid]) < key { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Extends the timeline to `horizon`, returning every alert change on the way, in order.
    func run(_ s: inout PersonState, until horizon: Timestamp) -> [AlertMessage] {
        var changes: [AlertMessage] = []
        while true {
            var next: Timestamp? = s.foldedCount < s.events.count ? s.events[s.foldedCount].occurredAt : nil
            if let t = s.lastEvaluatedAt, let r = nextRuleInstant(s.facts, after: t) {
                next = next.map { min($0, r) } ?? r
            }
            guard let instant = next, instant <= horizon else { break }
            let start = s.foldedCount
            while s.foldedCount < s.events.count, s.events[s.foldedCount].occurredAt <= instant {
                s.facts.fold(s.events[s.foldedCount])
                s.foldedCount += 1
            }
            evaluate(&s, at: instant, changes: &changes)
            s.lastEvaluatedAt = instant
            if s.foldedCount > start {
                s.checkpoint = TimelineCheckpoint(evaluatedAt: instant, lastResidence: s.lastResidence, alerts: s.alerts)
            }
        }
        s.horizon = max(s.horizon ?? horizon, horizon)
        return changes
    }

    /// Rebuilds the timeline after a late event — from the state's checkpoint when the event is
    /// later than it, else from the first event — and returns what must be published to bring
    /// consumers from the old published set to the new one.
    private func replay(_ s: inout PersonState, until horizon: Timestamp, lateEvent: PersonEvent) -> [AlertMessage] {
        let published = s.publishedAlerts
        if let checkpoint = s.checkpoint, lateEvent.occurredAt > checkpoint.evaluatedAt {
            // No event was folded after the checkpoint (only deadlines were evaluated), and the late
            // event sorts after every folded one: the facts and folded count stand as they are.
            s.lastEvaluatedAt = checkpoint.evaluatedAt
            s.lastResidence = checkpoint.lastResidence
            s.alerts = checkpoint.alerts
        } else {
            s.facts = PersonFacts()
            s.foldedCount = 0
            s.lastEvaluatedAt = nil
            s.lastResidence = nil
            s.alerts = [:]
            s.checkpoint = nil
        }
        _ = run(&s, until: horizon)
        var messages: [AlertMessage] = []
        for (id, message) in s.alerts where published[id] != message {
            messages.append(message)
            s.retracted[id] = nil
        }
        let closer = AlertCloser.record(AlertEvidence(topic: lateEvent.source, recordId: lateEvent.recordId))
        for (id, old) in published where s.alerts[id] == nil {
            guard old.status == .open else {
                s.retracted[id] = old  // consumers keep it as it is
                continue
            }
            let closed = old.closed(at: max(old.raisedAt, lateEvent.occurredAt), by: closer)
            s.retracted[id] = closed
            messages.append(closed)
        }
        messages.sort { ($0.type, $0.alertId) < ($1.type, $1.alertId) }
        return messages
    }

    private func nextDeadline(_ s: PersonState) -> Timestamp? {
        var next: Timestamp? = s.foldedCount < s.events.count ? s.events[s.foldedCount].occurredAt : nil
        if let t = s.lastEvaluatedAt, let r = nextRuleInstant(s.facts, after: t) {
            next = next.map { min($0, r) } ?? r
        }
        return next
    }

    /// The earliest 00:00 (jurisdiction zone) after `t` of a day on which a time-dependent rule
    /// can change its answer for these facts. Only people who can ever be in scope have any.
    func nextRuleInstant(_ facts: PersonFacts, after t: Timestamp) -> Timestamp? {
        let c = configuration
        guard let person = facts.person, person.sex == c.sexInScope, !c.isLocal(hukouRegion: person.hukouRegion)
        else { return nil }
        let today = c.localDate(t)
        // Day d qualifies when 00:00 of d is after t, i.e. d > today (00:00 of today is ≤ t).
        var best: LocalDate?
        func consider(_ d: LocalDate) {
            if d > today, best.map({ d < $0 }) ?? true { best = d }
        }
        consider(Self.anniversary(of: person.birthDate, years: c.minimumAge))
        consider(Self.anniversary(of: person.birthDate, years: c.maximumAge + 1))
        for p in facts.permits.values where !p.cancelled {
            consider(p.arrivalDate.adding(days: c.certificateGraceDays))
            consider(p.validUntil.adding(days: 1))
        }
        for l in facts.licences.values where !l.revoked { consider(l.issuedOn.adding(days: c.certificateGraceDays)) }
        for g in facts.guardianEnrolments.values where !g.withdrawn {
            consider(g.enrolledOn.adding(days: c.certificateGraceDays))
        }
        for cert in facts.certificates.values where !cert.revoked {
            consider(cert.validUntil.adding(days: -c.expiringWindowDays))
            consider(cert.validUntil.adding(days: 1))
        }
        return best.map { c.startOf($0) }
    }

    /// The first day on which someone born on `birth` is `years` old (29 February → 1 March).
    static func anniversary(of birth: LocalDate, years: Int) -> LocalDate {
        let (y, m, d) = birth.components
        return LocalDate(year: y + years, month: m, day: d) ?? LocalDate(year: y + years, month: 3, day: 1)
            ?? birth.adding(days: years * 365)
    }
}
