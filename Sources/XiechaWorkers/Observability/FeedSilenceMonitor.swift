import Synchronization

/// Feed health (DESIGN.md "Observability"): a department topic that has brought no record for longer
/// than its window is silent — how a broken upstream export usually shows itself. The intake worker
/// tells the monitor when records arrive and asks it on a timer; the monitor says when the feed turns
/// silent and when it speaks again, once each, so the operator alert (an error log line) and the
/// `xiecha_feed_silent` gauge change only then.
final class FeedSilenceMonitor: Sendable {
    /// A change the worker reports.
    enum Change: Equatable, Sendable {
        /// No record since `since` (the last record, or the worker's start), longer than the window.
        case turnedSilent(since: ContinuousClock.Instant)
        case resumed
    }

    let window: Duration
    private let state: Mutex<(last: ContinuousClock.Instant, silent: Bool)>

    init(window: Duration, start: ContinuousClock.Instant) {
        self.window = window
        state = Mutex((start, false))
    }

    /// Records arrived at `now`.
    func recordsArrived(at now: ContinuousClock.Instant) -> Change? {
        state.withLock { s in
            s.last = now
            guard s.silent else { return nil }
            s.silent = false
            return .resumed
        }
    }

    /// Whether the feed has just turned silent at `now`.
    func check(at now: ContinuousClock.Instant) -> Change? {
        state.withLock { s in
            guard !s.silent, now - s.last > window else { return nil }
            s.silent = true
            return .turnedSilent(since: s.last)
        }
    }
}
