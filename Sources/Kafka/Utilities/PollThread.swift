import Foundation
import Synchronization

/// A dedicated OS thread that calls `body` in a loop until stopped.
///
/// librdkafka's polls block for their timeout; running them here keeps them off Swift's
/// cooperative thread pool.
final class PollThread: Sendable {
    private let name: String
    private let body: @Sendable () -> Void
    private let running = Atomic<Bool>(false)
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }

    func start() {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) { body() }
            let waiters = finished.withLock { f -> [CheckedContinuation<Void, Never>] in
                f.done = true
                defer { f.waiters = [] }
                return f.waiters
            }
            for w in waiters { w.resume() }
        }
        thread.name = name
        thread.start()
    }

    var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Asks the loop to end after the current iteration and waits until it has.
    func stop() async {
        running.store(false, ordering: .releasing)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { f -> Bool in
                if f.done { return true }
                f.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
