import Foundation

/// One librdkafka statistics document (`statistics.interval.ms`), as JSON.
///
/// The document is large; it is parsed only when a field is asked for.
public struct KafkaStatistics: Sendable {
    /// The raw JSON librdkafka emitted (see librdkafka's STATISTICS.md).
    public let json: [UInt8]

    public init(json: [UInt8]) { self.json = json }

    /// Consumer lag per assigned partition (`topics.*.partitions.*.consumer_lag`), skipping
    /// partitions whose lag librdkafka does not know yet (-1) and the internal partition -1.
    public func consumerLag() -> [KafkaTopicPartition: Int64] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let topics = root["topics"] as? [String: Any]
        else { return [:] }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (topic, value) in topics {
            guard let partitions = (value as? [String: Any])?["partitions"] as? [String: Any] else { continue }
            for (key, p) in partitions {
                guard let id = Int32(key), id >= 0, let fields = p as? [String: Any],
                    let lag = (fields["consumer_lag"] as? NSNumber)?.int64Value, lag >= 0
                else { continue }
                result[KafkaTopicPartition(topic: topic, partition: id)] = lag
            }
        }
        return result
    }
}
