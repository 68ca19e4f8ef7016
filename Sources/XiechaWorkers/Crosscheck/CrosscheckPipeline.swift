import XiechaCore

/// Runs the batch path and the deadline timer one at a time (both read and write persons), and
/// overlaps the store commit of one batch with the computation of the next: batch N+1 is applied
/// in memory (on top of batch N's states) while batch N's transaction is written. Commits run in
/// batch order, one at a time.
actor CrosscheckPipeline {
    let processor: CrosscheckProcessor
    let publisher: OutboxPublisher
    let metrics: WorkerMetrics
    private var inFlight: (batch: CrosscheckProcessor.PreparedBatch, commit: Task<Void, any Error>)? = nil
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(processor: CrosscheckProcessor, publisher: OutboxPublisher, metrics: WorkerMetrics) {
        self.processor = processor
        self.publisher = publisher
        self.metrics = metrics
    }

    /// Applies events and starts their commit; returns the alert messages the batch adds to the
    /// outbox and the commit, which the caller awaits before marking the input processed.
    func process(_ events: [PersonEvent], now: Timestamp?) async throws -> (messages: Int, commit: Task<Void, any Error>) {
        await acquire()
        defer { release() }
        let prepared = try await processor.prepare(events, now: now, after: inFlight?.batch)
        for m in prepared.outcome.messages { metrics.alert(m) }
        let previous = inFlight?.commit
        let processor = self.processor
        let publisher = self.publisher
        let hasMessages = !prepared.outcome.messages.isEmpty
        let commit = Task {
            try await previous?.value
            try await processor.commit(prepared)
            if hasMessages { publisher.wake() }
        }
        inFlight = (prepared, commit)
        // The next batch may read the store as soon as this returns: every commit before this
        // batch's must be done by then (this batch's own states it takes from `inFlight`).
        try await previous?.value
        return (prepared.outcome.messages.count, commit)
    }

    /// Waits for the commit in flight, if any.
    func flush() async throws {
        await acquire()
        defer { release() }
        try await flushLocked()
    }

    func fireDeadlines(now: Timestamp) async throws -> Int {
        await acquire()
        defer { release() }
        try await flushLocked()
        let messages = try await processor.advance(to: now)
        for m in messages { metrics.alert(m) }
        if !messages.isEmpty { publisher.wake() }
        return messages.count
    }

    private func flushLocked() async throws {
        if let f = inFlight {
            inFlight = nil
            try await f.commit.value
        }
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()  // ownership passes to the next waiter
        }
    }
}
