/// Settings every Kafka client shares: where the brokers are, how to reach them, what to log.
///
/// Typed fields cover the common settings; `properties` passes any other librdkafka property
/// through unchanged (TLS and SASL included, e.g. `security.protocol`, `ssl.ca.location`,
/// `sasl.mechanisms`). Pass-through properties are applied last, so an operator can override a
/// typed default. A property librdkafka does not know, or a bad value, fails client creation
/// with `KafkaError.Code.configuration` naming the property.
public struct KafkaClientConfiguration: Sendable {
    /// `bootstrap.servers`, e.g. `["127.0.0.1:9092"]`.
    public var bootstrapServers: [String]
    /// `client.id`, shown in broker logs.
    public var clientId: String = "xiecha"
    /// `statistics.interval.ms`; `nil` disables statistics. Statistics reach `statisticsHandler`.
    public var statisticsInterval: Duration? = nil
    /// Called on librdkafka's poll thread with each statistics JSON document. Must not block.
    public var statisticsHandler: (@Sendable (KafkaStatistics) -> Void)? = nil
    /// `debug` contexts (e.g. `["consumer", "cgrp"]`); logged at debug level.
    public var debug: [String] = []
    /// Any librdkafka property, applied after the typed ones.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    var librdkafkaProperties: [(String, String)] {
        var p: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers.joined(separator: ",")),
            ("client.id", clientId),
        ]
        if let interval = statisticsInterval { p.append(("statistics.interval.ms", String(interval.milliseconds))) }
        if !debug.isEmpty { p.append(("debug", debug.joined(separator: ","))) }
        return p
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, as librdkafka's `*.ms` properties want them.
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
