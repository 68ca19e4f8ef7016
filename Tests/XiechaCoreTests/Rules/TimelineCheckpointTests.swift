import PropertyBased
import Synchronization
import Testing

@testable import XiechaCore

/// A late event later than the state's checkpoint resumes the timeline there instead of replaying it from the
/// first event. These tests hold the engine to "exactly what a replay from the start gives": the same messages in
/// the same order and the same state, for any arrival order and clock.
@Suite struct TimelineCheckpointTests {
    struct Outcome: Equatable {
        var messages: [AlertMessage] = []
        var alerts: [String: AlertMessage] = [:]
        var published: [String: AlertMessage] = [:]
        var nextDeadline: Timestamp?
        var horizon: Timestamp?
        var facts: PersonFacts?
    }

    /// Applies `events` in order at `clock` (nil: simulate, the latest event time so far), then advances to
    /// `until`; with `resume` false every apply starts without a checkpoint, i.e. replays from the start.
    static func run(_ events: [PersonEvent], clock: Timestamp?, until: Timestamp, resume: Bool) -> (Outcome, Int) {
        var state: PersonState?
        var out = Outcome()
        var maxSeen: Timestamp?
        var resumed = 0
        for e in events {
            maxSeen = max(maxSeen ?? e.occurredAt, e.occurredAt)
            if !resume { state?.checkpoint = nil }
            if let s = state, let cp = s.checkpoint, let h = s.horizon, e.occurredAt <= h, e.occurredAt > cp.evaluatedAt,
                !s.contains(eventId: e.eventId)
            {
                resumed += 1
            }
            let step = RT.engine.apply(e, to: state, now: clock ?? maxSeen!)
            state = step.state
            out.messages += step.messages
        }
        if let s = state {
            let step = RT.engine.advance(s, to: until)
            state = step.state
            out.messages += step.messages
        }
        out.alerts = state?.alerts ?? [:]
        out.published = state?.publishedAlerts ?? [:]
        out.nextDeadline = state?.nextDeadline
        out.horizon = state?.horizon
        out.facts = state?.facts
        return (out, resumed)
    }

    static func check(_ events: [PersonEvent]) -> Int {
        let until = RT.midnight(RulesOrderTests.until)
        var resumed = 0
        // Simulate clock, a clock held before every event, and a live clock long after all of them
        // (every event but the first arrives late: the case checkpoints exist for).
        for clock in [nil, events.map(\.occurredAt).min(), RT.midnight("2028-03-01")] {
            let (withCheckpoints, n) = run(events, clock: clock, until: until, resume: true)
            let (fromStart, _) = run(events, clock: clock, until: until, resume: false)
            #expect(withCheckpoints == fromStart)
            resumed += n
        }
        return resumed
    }

    @Test func resumingGivesWhatAReplayFromTheStartGives() {
        let events = RulesOrderTests.mixedHistory(RT.person())
        // In event-time order under the live clock every event after the first resumes.
        #expect(Self.check(events) >= events.count - 1)
    }

    @Test func anyOrderAndSubsetResumesExactly() async {
        let events = RulesOrderTests.mixedHistory(RT.person())
        let resumed = Tally()
        await propertyCheck(count: 200, input: Gen.int(in: 1...255), Gen.int(in: 0...Int.max)) { mask, seed in
            let subset = events.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            var rng = SplitMix64(seed: UInt64(seed))
            resumed.add(Self.check(subset.shuffled(using: &rng)))
        }
        #expect(resumed.value > 0)
    }

    @Test func checkpointIsTakenAtTheLatestEventInstantAndStored() throws {
        let events = RulesOrderTests.mixedHistory(RT.person())
        var state: PersonState?
        for e in events { state = RT.engine.apply(e, to: state, now: RT.midnight("2028-03-01")).state }
        let s = try #require(state)
        let checkpoint = try #require(s.checkpoint)
        #expect(checkpoint.evaluatedAt == events.map(\.occurredAt).max())
        #expect(s.foldedCount == events.count)
        let decoded = try PersonState(decoding: s.encoded())
        #expect(decoded.checkpoint == checkpoint)
    }

    @Test func statesWrittenBeforeCheckpointsStillDecode() throws {
        let p = RT.person()
        var s = RT.engine.apply(RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"), to: nil, now: RT.midnight("2026-12-01")).state
        s.checkpoint = nil
        var bytes = s.encoded()
        #expect(bytes[1] == 2 && bytes.last == 0)
        bytes[1] = 1  // version 1: the same layout without the checkpoint byte
        bytes.removeLast()
        let old = try PersonState(decoding: bytes)
        #expect(old == s)
        // A late event on a state without checkpoint replays from the start and takes one.
        let next = RT.engine.apply(
            RT.certificate(p, "c1", at: "2026-10-10", issued: "2026-10-10", validUntil: "2029-10-09"), to: old,
            now: RT.midnight("2026-12-01"))
        #expect(next.state.checkpoint?.evaluatedAt == RT.at("2026-10-10"))
    }
}

/// A count shared by property-check iterations.
final class Tally: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var value: Int { count.withLock { $0 } }
}
