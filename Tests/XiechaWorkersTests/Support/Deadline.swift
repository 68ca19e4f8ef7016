import Foundation
import Synchronization

/// Bounds every wait of a process-level test, so a hung worker or broker fails the test with a
/// message instead of hanging the suite.
enum Deadline {
    /// Runs `body`, or throws `Deadline.Exceeded` when it has not finished after `seconds`.
    /// On the deadline the body is cancelled and `onTimeout` runs: it must make a body that
    /// does not react to cancellation (e.g. one waiting for Kafka messages) return.
    static func run<T: Sendable>(
        _ seconds: Double, _ what: String, onTimeout: @escaping @Sendable () async -> Void = {},
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let timedOut = TimedOut()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                do {
                    try await Task.sleep(for: .seconds(seconds))
                } catch {
                    return nil  // cancelled: the body finished first
                }
                timedOut.flag.withLock { $0 = true }
                await onTimeout()
                return nil
            }
            defer { group.cancelAll() }
            // A body that onTimeout made return early returns a partial result: still a timeout.
            guard let first = try await group.next(), let value = first, !timedOut.flag.withLock({ $0 }) else {
                throw Exceeded(what: what, seconds: seconds)
            }
            return value
        }
    }

    private final class TimedOut: Sendable {
        let flag = Mutex(false)
    }

    struct Exceeded: Error, CustomStringConvertible {
        var what: String
        var seconds: Double
        var description: String { "\(what) did not finish within \(seconds) s" }
    }
}

/// An error a test helper raises with an explanation.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
