import Kafka
import Metrics

/// `xiecha_consumer_lag{topic, partition}`: how many messages each assigned partition of a worker's
/// input is behind its end, from librdkafka's statistics (DESIGN.md "Observability"). A lag that
/// keeps growing is a worker that cannot keep up or has stopped; one that stays at 0 while a feed
/// is silent is an upstream export that broke.
enum ConsumerLagMetrics {
    /// How often librdkafka reports statistics, hence how fresh the gauge is.
    static let interval: Duration = .seconds(5)

    /// Turns on statistics for `client` and records each partition's lag as it is reported.
    static func install(on client: inout KafkaClientConfiguration) {
        client.statisticsInterval = interval
        client.statisticsHandler = { statistics in
            for (tp, lag) in statistics.consumerLag() {
                Gauge(label: "xiecha_consumer_lag", dimensions: [("topic", tp.topic), ("partition", String(tp.partition))]).record(lag)
            }
        }
    }
}
