import Foundation
import XiechaCore

/// The options every worker process shares (DESIGN.md "Interfaces"), as the runtime takes them.
public struct WorkerRunOptions: Sendable {
    /// Consumer group; `nil` takes the worker kind's default.
    public var group: String?
    /// Consume to the end offsets seen at start, commit, report the summary, stop.
    public var stopAtEnd = false
    /// Port of `/metrics` and `/health/*` on 127.0.0.1 (0: one the kernel picks); `nil`: no server.
    public var httpPort: Int? = 0
    /// Called with the HTTP server's bound port.
    public var onHTTPListening: @Sendable (Int) -> Void = { _ in }
    /// How long a graceful shutdown may take before the process gives up on it.
    public var maximumGracefulShutdown: Duration = .seconds(60)

    /// How often a live crosscheck worker fires due deadlines.
    public var deadlineTimerInterval: Duration = .seconds(1)
    /// The clock deadlines fire by (the wall clock; tests inject their own). Events are applied at
    /// their own time.
    public var clock: @Sendable () -> Timestamp = {
        Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// The defaults: the kind's group, live, an HTTP server on a free port.
    public init() {}
}
