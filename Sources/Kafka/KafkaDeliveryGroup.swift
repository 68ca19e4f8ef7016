import Synchronization

/// The deliveries of a run of messages sent with `KafkaProducer.send(_:in:)`, tracked together.
///
/// A worker that commits its input only after its outputs are acknowledged needs to know when
/// *these* outputs are acknowledged, not when everything in flight is: waiting for the whole
/// producer to drain after every batch leaves the consumer and the processing idle for a broker
/// round trip and a linger period. With one group per input batch the worker keeps reading and
/// sending while earlier groups are in flight, and marks a batch's offsets processed as soon as
/// its group (and every group before it) is complete.
///
/// Send into a group, then `seal()` it; it is complete when it is sealed and every message in it
/// was acknowledged or failed. Failures stay with the group (not `awaitDeliveries()`), so each is
/// reported once, to the worker that owns those offsets.
public final class KafkaDeliveryGroup: Sendable {
    private struct State {
        var inFlight = 0
        var sealed = false
        var failures: [KafkaDeliveryFailure] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        var isComplete: Bool { sealed && inFlight == 0 }
        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters = [] }
            return waiters
        }
    }
    private let state = Mutex(State())

    public init() {}

    /// No more messages will be sent in this group.
    public func seal() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.sealed = true
            return s.isComplete ? s.takeWaiters() : []
        }
        for w in waiters { w.resume() }
    }

    /// Sealed, and every message in it acknowledged or failed. Does not wait.
    public var isComplete: Bool { state.withLock { $0.isComplete } }

    /// Messages of this group not yet acknowledged.
    public var inFlightCount: Int { state.withLock { $0.inFlight } }

    /// Waits until the group is sealed and complete, then throws its failures, if any.
    public func awaitDeliveries() async throws(KafkaDeliveryFailures) {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.isComplete { return true }
                s.waiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
        try throwFailures()
    }

    /// Throws the group's failures so far, if any. Does not wait.
    public func throwFailures() throws(KafkaDeliveryFailures) {
        let failures = state.withLock { $0.failures }
        if !failures.isEmpty { throw KafkaDeliveryFailures(failures: failures) }
    }

    func willSend() { state.withLock { $0.inFlight += 1 } }

    /// A message of the group was delivered (`failure == nil`), failed, or was never enqueued
    /// (`failure == nil`, the caller already got the error).
    func finished(_ failure: KafkaDeliveryFailure?) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.inFlight -= 1
            if let failure { s.failures.append(failure) }
            return s.isComplete ? s.takeWaiters() : []
        }
        for w in waiters { w.resume() }
    }
}
