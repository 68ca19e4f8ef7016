/// A person's timeline right after one of its event instants was evaluated.
///
/// Events nearly always arrive after the clock has moved past them (a record is published minutes or days after
/// it happened, and the live clock evaluated the timeline up to now in between), so almost every event is "late"
/// and the timeline must be evaluated again from where the event belongs. Without a checkpoint that means from the
/// first event: the cost of a person's n-th event grows with n. An event later than the checkpoint resumes here
/// instead, which gives exactly what a replay from the start would, because evaluation up to this instant saw
/// only the events folded here.
///
/// The engine takes one at every event instant it evaluates (the only place events are folded), so the state's
/// folded events and facts are always those of its checkpoint; it drops the checkpoint whenever an event at or
/// before `evaluatedAt` makes it replay from the start.
public struct TimelineCheckpoint: Sendable, Hashable, Codable {
    /// The event instant evaluated last when the checkpoint was taken.
    public var evaluatedAt: Timestamp
    /// Her house at that evaluation.
    public var lastResidence: ResidenceMark?
    /// The timeline's alerts after that evaluation.
    public var alerts: [String: AlertMessage]

    public init(evaluatedAt: Timestamp, lastResidence: ResidenceMark?, alerts: [String: AlertMessage]) {
        self.evaluatedAt = evaluatedAt
        self.lastResidence = lastResidence
        self.alerts = alerts
    }
}
