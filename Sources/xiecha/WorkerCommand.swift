import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import XiechaCore
import XiechaWorkers

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run one worker process.", subcommands: [IntakeCommand.self, CrosscheckCommand.self])
}

struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Validate one department feed and emit person events (and dead letters).")

    @Option(name: .long, help: "residence-permits | marriage-registrations | business-licenses | school-enrollments | certificates")
    var feed: String

    @OptionGroup var shared: WorkerOptions

    func validate() throws {
        guard Topic(feedName: feed) != nil else {
            throw ValidationError("unknown --feed '\(feed)'; one of: \(Topic.departmentFeeds.compactMap(\.feedName).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let configuration = try shared.loadConfiguration()
        var options = IntakeWorker.Options(feed: Topic(feedName: feed)!)
        options.group = shared.group
        options.stopAtEnd = shared.stopAtEnd
        let logger = shared.makeLogger(label: "xiecha.intake")
        let health = WorkerHealth()
        let worker = IntakeWorker(options: options, configuration: configuration, health: health, logger: logger)
        let summary = try await runWorker(shared: shared, health: health, logger: logger) { try await worker.run() }
        if shared.stopAtEnd { print(summary.jsonLine) }
    }
}

/// Runs a worker next to its HTTP endpoint in one ServiceGroup: SIGTERM/SIGINT drain the worker
/// (it finishes its batch, waits for its outputs, commits) before the process exits.
func runWorker(
    shared: WorkerOptions, health: WorkerHealth, logger: Logger, _ body: @escaping @Sendable () async throws -> WorkerSummary
) async throws -> WorkerSummary {
    let result = Mutex<WorkerSummary?>(nil)
    let work = WorkerService { result.withLock { _ = $0 }; let s = try await body(); result.withLock { $0 = s } }
    let http = WorkerHTTPServer(port: shared.httpPort, health: health, logger: logger)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                .init(service: http),
                .init(service: work, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await group.run()
    guard let summary = result.withLock({ $0 }) else { throw ExitCode.failure }
    return summary
}

/// A worker's main loop as a `Service`.
struct WorkerService: Service {
    let body: @Sendable () async throws -> Void
    func run() async throws { try await body() }
}

struct CrosscheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosscheck", abstract: "Apply the rules to person events and publish alerts.")

    @OptionGroup var shared: WorkerOptions

    func run() async throws {
        let configuration = try shared.loadConfiguration()
        var options = CrosscheckWorker.Options()
        options.group = shared.group
        options.stopAtEnd = shared.stopAtEnd
        let logger = shared.makeLogger(label: "xiecha.crosscheck")
        let health = WorkerHealth()
        let worker = CrosscheckWorker(options: options, configuration: configuration, health: health, logger: logger)
        let summary = try await runWorker(shared: shared, health: health, logger: logger) { try await worker.run() }
        if shared.stopAtEnd { print(summary.jsonLine) }
    }
}
