import ArgumentParser
import Foundation
import Logging
import XiechaWorkers

/// The preamble of every command that talks to Kafka: where the brokers are and which
/// configuration file to read (DESIGN.md "Interfaces"). One definition, so `--brokers` and
/// `--config` mean the same everywhere and fail the same way.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers, comma-separated (env XIECHA_BROKERS).")
    var brokers: String?

    @Option(name: .long, help: "Configuration file, YAML (env XIECHA_CONFIG).")
    var config: String?

    /// Defaults ← file ← environment ← `--brokers`; refuses to go on without brokers.
    func loadConfiguration() throws -> XiechaConfiguration {
        var c = try XiechaConfiguration.load(file: config)
        if let brokers { c.brokers = brokers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        guard !c.brokers.isEmpty else {
            throw ValidationError("no Kafka brokers: pass --brokers, set XIECHA_BROKERS, or kafka.brokers in the configuration file")
        }
        return c
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// JSON lines, as every Xiecha process logs (DESIGN.md "Observability").
func makeJSONLogger(label: String, level: Logger.Level, output: JSONLogOutput) -> Logger {
    var logger = Logger(label: label) { label in
        var h = JSONLogHandler(label: label, output: output)
        h.logLevel = level
        return h
    }
    logger.logLevel = level
    return logger
}
