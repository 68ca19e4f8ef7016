import ArgumentParser
import Kafka

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the Xiecha and librdkafka versions.")

    /// Bumped with each release.
    static let xiechaVersion = "0.1.0"

    func run() {
        print("xiecha \(Self.xiechaVersion) (librdkafka \(KafkaProducer.librdkafkaVersion))")
    }
}
