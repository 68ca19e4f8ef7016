import Synchronization

/// Wakes one waiting loop early: `signal()` ends the current `wait(timeout:)`, or the next one if none is waiting.
/// The webhook delivery loop sleeps until its next delivery is due, and is woken when new deliveries are queued or an
/// attempt ends, without polling the store in a tight loop.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Ends the current wait, or makes the next one return at once.
    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w.continuation
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when signalled (also by a signal that came since the last wait), or after `timeout`. One waiter at a
    /// time.
    func wait(timeout: Duration) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let (now, id) = state.withLock { s -> (Bool, UInt64) in
                if s.pending {
                    s.pending = false
                    return (true, 0)
                }
                s.nextId += 1
                s.waiter = (s.nextId, c)
                return (false, s.nextId)
            }
            if now {
                c.resume()
                return
            }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                timeOut(id)
            }
        }
    }

    /// Ends wait `id` if it is still waiting.
    private func timeOut(_ id: UInt64) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter, w.id == id else { return nil }
            s.waiter = nil
            return w.continuation
        }
        waiter?.resume()
    }
}
