import ArgumentParser
import Logging
import XiechaWorkers

/// `xiecha alerts tail`: prints alerts from `xiecha.alerts.v1` as they arrive, in its own consumer
/// group, with the subject masked (the payload never holds more). It runs on the worker runtime,
/// so SIGINT/SIGTERM stop it the way they stop a worker.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Read alerts.", subcommands: [Tail.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tail", abstract: "Print alerts (masked subject, type, community, reason).")

        @OptionGroup var cluster: ClusterOptions

        @Option(help: ArgumentHelp("Only this community (or street) code.", valueName: "code"))
        var community: String?

        @Option(help: "How each alert is printed.")
        var format: AlertsTailOptions.Format = .table

        @Flag(name: .long, help: "Keep printing new alerts until interrupted; otherwise stop at the end offsets seen at start.")
        var follow = false

        @Option(help: ArgumentHelp("Consumer group (default: a new one per run, reading from the beginning).", valueName: "group-id"))
        var group: String?

        func run() async throws {
            let configuration = try cluster.loadConfiguration()
            let logger = makeJSONLogger(label: "xiecha.alerts", level: .warning, output: .standardError)
            var options = WorkerRunOptions()
            options.group = group
            options.stopAtEnd = !follow
            options.httpPort = nil
            let process = try await WorkerRuntime.build(
                kind: .alertsTail(AlertsTailOptions(community: community, format: format)), options: options,
                configuration: configuration, observability: WorkerRuntime.Observability(), logger: logger)
            _ = try await process.run()
        }
    }
}

extension AlertsTailOptions.Format: ExpressibleByArgument {}
