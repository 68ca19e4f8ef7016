/// A worker could not start: `message` says what it could not read and from where, so an operator
/// knows what to check (the brokers, the topic, the group).
public struct WorkerStartupError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
