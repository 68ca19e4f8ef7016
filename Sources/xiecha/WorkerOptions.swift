import ArgumentParser
import Foundation
import Logging
import XiechaStore
import XiechaWorkers

/// Options every worker shares (DESIGN.md "Interfaces").
struct WorkerOptions: ParsableArguments {
    @OptionGroup var cluster: ClusterOptions

    @Option(
        help: ArgumentHelp("State store: sqlite:PATH or postgres://… (env XIECHA_STORE).", valueName: "url"),
        transform: { try StoreURL(parsing: $0) })
    var store: StoreURL?

    @Option(help: ArgumentHelp("Port for /metrics and /health on 127.0.0.1; 0 picks a free one.", valueName: "port"))
    var httpPort: Int = 0

    @Option(help: ArgumentHelp("Consumer group (each worker kind has a default).", valueName: "group-id"))
    var group: String?

    @Flag(name: .long, help: "Consume to the end offsets seen at start, commit, print one JSON summary line, exit 0.")
    var stopAtEnd = false

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0…65535") }
    }

    /// Defaults ← file ← environment ← these options.
    func loadConfiguration() throws -> XiechaConfiguration {
        var c = try cluster.loadConfiguration()
        if let store { c.store = store }
        return c
    }

    /// Builds the worker of `kind` with these options (and the kind's own, applied by `configure`), runs
    /// it until it ends or a signal stops it, and prints the summary line with `--stop-at-end`.
    func runWorker(_ kind: WorkerKind, configure: (inout XiechaConfiguration) -> Void = { _ in }) async throws {
        var configuration = try loadConfiguration()
        configure(&configuration)
        // JSON lines on stdout; with --stop-at-end on stderr, so that stdout carries exactly the summary line.
        let logger = makeJSONLogger(label: "xiecha.\(kind.name)", level: logLevel, output: stopAtEnd ? .standardError : .standardOutput)
        var options = WorkerRunOptions()
        options.group = group
        options.stopAtEnd = stopAtEnd
        options.httpPort = httpPort
        let process = try await WorkerRuntime.build(
            kind: kind, options: options, configuration: configuration, observability: .process, logger: logger)
        let summary = try await process.run()
        if stopAtEnd { print(summary.jsonLine) }
    }
}
