import Synchronization

/// What `/health/ready` reports: ready once the worker consumes (its batch loop has joined the group
/// and holds partitions) and every dependency it registered answers (the store).
///
/// Liveness is the HTTP server answering at all; readiness is what an orchestrator waits for before
/// counting the worker in, and what turns false when a dependency it cannot work without is gone.
public final class WorkerHealth: Sendable {
    /// One named condition of readiness.
    public struct Check: Sendable {
        /// Shown in the `/health/ready` body when it fails, so an operator knows what to look at.
        public var name: String
        /// True when the dependency answers.
        public var probe: @Sendable () async -> Bool

        /// A check named `name`.
        public init(name: String, probe: @escaping @Sendable () async -> Bool) {
            self.name = name
            self.probe = probe
        }
    }

    private let checks = Mutex<[Check]>([])

    /// A health with no checks: never ready until one is added.
    public init() {}

    /// Adds a condition of readiness.
    public func add(_ check: Check) { checks.withLock { $0.append(check) } }

    /// The names of the checks that fail now (empty: ready). Without any check the worker is not
    /// ready: it has not started consuming.
    public func failingChecks() async -> [String] {
        let current = checks.withLock { $0 }
        if current.isEmpty { return ["starting"] }
        var failing: [String] = []
        for c in current where await !c.probe() { failing.append(c.name) }
        return failing
    }

    /// Whether every check passes.
    public func isReady() async -> Bool { await failingChecks().isEmpty }
}
