import Metrics

/// `xiecha_store_seconds{operation}`: how long the crosscheck worker waits on its state store per
/// batch — `read` (the batch's persons) and `commit` (states, alerts and outbox in one transaction);
/// DESIGN.md "Observability". A store that slows down shows here before the consumer lag grows.
enum StoreMetrics {
    static let read = Metrics.Timer(label: "xiecha_store_seconds", dimensions: [("operation", "read")], preferredDisplayUnit: .seconds)
    static let commit = Metrics.Timer(label: "xiecha_store_seconds", dimensions: [("operation", "commit")], preferredDisplayUnit: .seconds)
}
