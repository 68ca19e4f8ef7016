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
        var failures: [KafkaDeliveryFailure] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters = [] }
            return waiters
        }
    }
    /// Messages sent and not yet reported, and whether the sender sealed the group: atomics, because the
    /// sending task and the producer's poll thread change the count for every message; the lock is taken
    /// only when the group may have completed, or a delivery failed.
    private let count = Atomic<Int>(0)
    private let sealed = Atomic<Bool>(false)
    private let state = Mutex(State())

    public init() {}

    /// No more messages will be sent in this group.
    public func seal() {
        sealed.store(true, ordering: .sequentiallyConsistent)
        wakeIfComplete()
    }

    /// Sealed, and every message in it acknowledged or failed. Does not wait.
    public var isComplete: Bool {
        sealed.load(ordering: .sequentiallyConsistent) && count.load(ordering: .sequentiallyConsistent) == 0
    }

    /// Messages of this group not yet acknowledged.
    public var inFlightCount: Int { count.load(ordering: .sequentiallyConsistent) }

    /// Waits until the group is sealed and complete, then throws its failures, if any.
    public func awaitDeliveries() async throws(KafkaDeliveryFailures) {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if isComplete { return true }
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

    func willSend() { count.wrappingAdd(1, ordering: .sequentiallyConsistent) }

    /// A message of the group was delivered (`failure == nil`), failed, or was never enqueued
    /// (`failure == nil`, the caller already got the error).
    func finished(_ failure: KafkaDeliveryFailure?) {
        if let failure { state.withLock { $0.failures.append(failure) } }
        let remaining = count.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        // `seal()` stores `sealed` before it reads the count, this decrements before it reads `sealed`:
        // whichever comes second sees the group complete.
        if remaining == 0, sealed.load(ordering: .sequentiallyConsistent) { wakeIfComplete() }
    }

    private func wakeIfComplete() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            isComplete ? s.takeWaiters() : []
        }
        for w in waiters { w.resume() }
    }
}
