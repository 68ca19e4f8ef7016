import Logging
import XiechaCore
import XiechaStore

/// `xiecha simulate`: intake and crosscheck with no Kafka, an in-memory store and an event-time
/// clock (DESIGN.md "Interfaces"). Feed it input lines (`SimulationInputLine`), then `finish()`.
///
/// - Intake is `IntakeProcessor`, crosscheck is `CrosscheckProcessor`: the same code the Kafka
///   workers run, so simulate shows what production would publish.
/// - **Event time.** Lines are read and checked first (a line that is not a usable simulate line
///   is a dead letter at once); `finish()` then applies them in timestamp order (equal timestamps
///   by content), so the order of the input lines never changes the output. Instant by instant:
///   every deadline due before it fires (earliest first, across persons), so the output is
///   chronological; its directory lines update the address directory; its records go through
///   intake (validation, dead letters, houses resolved with the directory as of that instant) and
///   crosscheck, each person's events of the instant folded together before the instant is
///   evaluated, with the deadlines due exactly then. Then, with `until`, everything up to `until`
///   00:00 in the jurisdiction's zone (`RulesConfiguration.utcOffsetSeconds`) fires.
/// - Directory lines (`ref.address-directory.v1`) update the address directory that intake
///   resolves houses with, from their timestamp on.
/// - **Output.** Every alert message goes to `alerts`, in order. Every record that fails
///   validation, and every input line that is not a usable simulate line (not JSON, unknown
///   topic, no timestamp, …), goes to `deadLetters` as a `DeadLetter` whose `offset` is the
///   1-based input line number; a malformed line's `topic` is `SimulationInputLine`'s topic
///   text, or `simulate.input` when it had none. Nothing is dropped; the run continues.
///   Blank lines are skipped.
///
/// Not `Sendable`: one simulation is driven from one task.
public final class Simulation {
    public struct Options: Sendable {
        public var rules: RulesConfiguration
        /// After the input: move the clock to 00:00 of this day (jurisdiction zone) and fire every
        /// deadline up to it.
        public var until: LocalDate?

        public init(rules: RulesConfiguration = RulesConfiguration(), until: LocalDate? = nil) {
            self.rules = rules
            self.until = until
        }
    }

    /// Counts of one run.
    public struct Summary: Sendable, Hashable {
        /// Non-blank input lines read.
        public var lines = 0
        /// Department records and directory updates applied (valid ones).
        public var records = 0
        public var deadLetters = 0
        public var alertMessages = 0
        /// Person events applied (duplicates skipped are not counted).
        public var events = 0
        public var duplicateEvents = 0
        /// The clock at the end.
        public var clock: Timestamp?
    }

    /// `topic` of a dead letter for an input line that names no topic.
    public static let malformedLineTopic = "simulate.input"

    public let options: Options
    public private(set) var summary = Summary()
    public private(set) var directory = AddressDirectory()

    private let intake = IntakeProcessor()
    private let processor: CrosscheckProcessor
    private let store: InMemoryStateStore
    private let alerts: (AlertMessage) -> Void
    private let deadLetters: (DeadLetter) -> Void
    private var lineNumber = 0
    private var clock: Timestamp?
    private var foundDeadLetters: [DeadLetter] = []
    /// The usable lines read so far (with their line numbers), applied in event time by `finish()`.
    private var pending: [(input: SimulationInputLine, line: Int)] = []
    private var commitsSinceDrain = 0

    /// - Parameters:
    ///   - alerts: receives every alert message, in order.
    ///   - deadLetters: receives every dead letter, in input-line order, when the run finishes.
    public init(
        options: Options = Options(), alerts: @escaping (AlertMessage) -> Void,
        deadLetters: @escaping (DeadLetter) -> Void
    ) {
        self.options = options
        self.alerts = alerts
        self.deadLetters = deadLetters
        self.store = InMemoryStateStore()
        let logger = Logger(label: "xiecha.simulate") { _ in SwiftLogNoOpLogHandler() }
        self.processor = CrosscheckProcessor(
            store: store, engine: CrosscheckEngine(configuration: options.rules), logger: logger)
    }

    /// Runs a whole input: every line, then `finish()`.
    @discardableResult
    public func run(lines: some Sequence<[UInt8]>) async throws -> Summary {
        for line in lines { try await feed(line: line) }
        return try await finish()
    }

    /// Runs a whole input given as text (tests): split on newlines.
    @discardableResult
    public func run(text: String) async throws -> Summary {
        try await run(lines: text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init))
    }

    /// Reads one input line (without its terminator; a trailing CR is ignored).
    public func feed(line rawLine: [UInt8]) async throws {
        lineNumber += 1
        var line = rawLine
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        summary.lines += 1

        let input: SimulationInputLine
        switch SimulationInputLine.parse(line, localUTCOffsetSeconds: options.rules.utcOffsetSeconds) {
        case .success(let l):
            input = l
        case .failure(let m):
            deadLetter(
                DeadLetter(
                    topic: m.topicName ?? Self.malformedLineTopic, offset: Int64(lineNumber), recordId: m.recordId,
                    reason: m.reason, value: line))
            return
        }

        pending.append((input, lineNumber))
    }

    /// Applies the records read, in event time, then fires every deadline up to `until` 00:00.
    @discardableResult
    public func finish() async throws -> Summary {
        try await applyPending()
        var target = clock
        if let until = options.until {
            let u = options.rules.startOf(until)
            target = max(target ?? u, u)
        }
        if let target {
            try await advance(to: target)
            clock = target
        }
        try await store.deleteOutbox(through: Int64.max)
        for d in foundDeadLetters.enumerated().sorted(by: { ($0.element.offset ?? 0, $0.offset) < ($1.element.offset ?? 0, $1.offset) }) {
            deadLetters(d.element)
        }
        foundDeadLetters = []
        summary.clock = clock
        return summary
    }

    /// Applies the pending lines in timestamp order (equal timestamps by content), one
    /// instant at a time: first every deadline due before it fires, then the instant's directory
    /// lines update the address directory, then its records go through intake (resolving houses
    /// with the directory as of that instant) and crosscheck, each person's events of the instant
    /// folded together (`CrosscheckProcessor.processInstant`).
    private func applyPending() async throws {
        // Equal timestamps are ordered by content, not by line, so that no order of the input
        // lines — not even among one instant's lines — changes the output.
        let lines = pending.sorted { a, b in
            if a.input.timestamp != b.input.timestamp { return a.input.timestamp < b.input.timestamp }
            if a.input.topic != b.input.topic { return a.input.topic.rawValue < b.input.topic.rawValue }
            let (va, vb) = (a.input.value ?? [], b.input.value ?? [])
            if va != vb { return va.lexicographicallyPrecedes(vb) }
            if a.input.key != b.input.key { return (a.input.key ?? "") < (b.input.key ?? "") }
            return a.line < b.line
        }
        pending = []
        var i = 0
        while i < lines.count {
            let t = lines[i].input.timestamp
            var end = i
            while end < lines.count, lines[end].input.timestamp == t { end += 1 }
            try await advance(to: Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch - 1))
            clock = t
            for (input, line) in lines[i..<end] where input.topic == .addressDirectory {
                applyDirectory(input, line: line)
            }
            var events: [PersonEvent] = []
            for (input, line) in lines[i..<end] where input.topic != .addressDirectory {
                switch intake.process(topic: input.topic, value: input.value, timestamp: t, directory: directory) {
                case .deadLetter(let reason, let recordId):
                    deadLetter(
                        DeadLetter(
                            topic: input.topic.rawValue, offset: Int64(line), recordId: recordId, reason: reason,
                            value: input.value))
                case .events(let e):
                    summary.records += 1
                    events += e
                }
            }
            i = end
            guard !events.isEmpty else { continue }
            let outcome = try await processor.processInstant(events, now: t)
            summary.events += outcome.applied
            summary.duplicateEvents += outcome.duplicates
            emit(outcome.messages)
            try await drainOutboxPeriodically()
        }
    }

    private func applyDirectory(_ input: SimulationInputLine, line: Int) {
        if let reason = directory.apply(key: input.key, value: input.value) {
            var recordId: String?
            if let v = input.value, let root = try? JSONParser.parse(v) { recordId = RecordDecoder.bestEffortRecordId(root) }
            deadLetter(
                DeadLetter(
                    topic: input.topic.rawValue, offset: Int64(line), recordId: recordId, reason: reason, value: input.value))
        } else {
            summary.records += 1
        }
    }

    /// Fires every deadline up to `target` in time order across persons: one step per distinct
    /// deadline instant, so alerts of different persons come out chronologically (the
    /// processor's own `advance` is earliest-first per person).
    private func advance(to target: Timestamp) async throws {
        var previous = Int64.min
        while let next = try await store.nextDeadlineMs(), next <= target.millisecondsSinceEpoch, next > previous {
            emit(try await processor.advance(to: Timestamp(millisecondsSinceEpoch: next)))
            try await drainOutboxPeriodically()
            previous = next
        }
        // Whatever is left (nothing, unless a deadline failed to move on) fires at once.
        emit(try await processor.advance(to: target))
    }

    private func emit(_ messages: [AlertMessage]) {
        for m in messages { alerts(m) }
        summary.alertMessages += messages.count
    }

    /// Dead letters are found while reading (malformed lines) and while applying (invalid
    /// records, in event time); they are handed out at the end in input-line order.
    private func deadLetter(_ d: DeadLetter) {
        summary.deadLetters += 1
        foundDeadLetters.append(d)
    }

    /// The processor keeps every message in the store's outbox for a publisher; here they have
    /// been handed to `alerts` already, so the outbox is emptied now and then to bound memory.
    private func drainOutboxPeriodically() async throws {
        commitsSinceDrain += 1
        if commitsSinceDrain >= 1_000 {
            commitsSinceDrain = 0
            try await store.deleteOutbox(through: Int64.max)
        }
    }
}
