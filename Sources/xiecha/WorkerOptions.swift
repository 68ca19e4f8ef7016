import ArgumentParser
import Foundation
import Logging
import XiechaWorkers

/// Options every worker shares (DESIGN.md "Interfaces").
struct WorkerOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers, comma-separated (env XIECHA_BROKERS).")
    var brokers: String?

    @Option(name: .long, help: "State store: sqlite:PATH or postgres://… (env XIECHA_STORE).")
    var store: String?

    @Option(name: .long, help: "Configuration file, YAML (env XIECHA_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Port for /metrics and /health on 127.0.0.1; 0 picks a free one.")
    var httpPort: Int = 0

    @Option(name: .long, help: "Consumer group (each worker kind has a default).")
    var group: String?

    @Flag(name: .long, help: "Consume to the end offsets seen at start, commit, print one JSON summary line, exit 0.")
    var stopAtEnd = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0…65535") }
    }

    /// Defaults ← file ← environment ← these options.
    func loadConfiguration() throws -> XiechaConfiguration {
        var c = try XiechaConfiguration.load(file: config)
        if let brokers { c.brokers = brokers.split(separator: ",").map(String.init) }
        if let store { c.store = store }
        guard !c.brokers.isEmpty else {
            throw ValidationError("no Kafka brokers: pass --brokers, set XIECHA_BROKERS, or kafka.brokers in the configuration file")
        }
        return c
    }

    /// JSON lines on stdout, as every worker logs; with `--stop-at-end` on stderr, so that stdout
    /// carries exactly the summary line.
    func makeLogger(label: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let output: JSONLogOutput = stopAtEnd ? .standardError : .standardOutput
        var logger = Logger(label: label) { label in
            var h = JSONLogHandler(label: label, output: output)
            h.logLevel = level
            return h
        }
        logger.logLevel = level
        return logger
    }
}
