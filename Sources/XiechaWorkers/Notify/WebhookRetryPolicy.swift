/// When a webhook delivery is tried: the configured schedule, each retry moved by random jitter.
struct WebhookRetryPolicy: Sendable {
    let schedule: [Duration]
    let jitter: Double

    init(schedule: [Duration], jitter: Double) {
        precondition(!schedule.isEmpty, "a retry schedule has at least one entry")
        self.schedule = schedule
        self.jitter = jitter
    }

    /// How long after the change reaches the inbox its first attempt is due (no jitter: "at once" is at once).
    var firstDelayMs: Int64 { schedule[0].milliseconds }

    /// The delay before the next attempt once `attempts` attempts failed, or `nil` when that was the last one.
    func delayMs(afterAttempts attempts: Int, using random: inout some RandomNumberGenerator) -> Int64? {
        guard attempts < schedule.count else { return nil }
        let base = Double(schedule[attempts].milliseconds)
        guard jitter > 0, base > 0 else { return Int64(base) }
        let factor = 1 + Double.random(in: -jitter...jitter, using: &random)
        return max(0, Int64((base * factor).rounded()))
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
