import XiechaCore

/// A worker was built or wired wrongly: a programming error in a worker kind, reported with what
/// to fix rather than crashing the process.
public struct WorkerRuntimeError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and where.
    public var description: String

    static func noProducer(topic: Topic) -> WorkerRuntimeError {
        WorkerRuntimeError(description: "this worker kind has no producer but tried to send to \(topic.rawValue)")
    }
}
