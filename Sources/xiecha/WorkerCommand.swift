import ArgumentParser
import XiechaCore
import XiechaWorkers

/// `xiecha worker KIND`: one worker process.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run one worker process.", subcommands: [IntakeCommand.self, CrosscheckCommand.self])
}

extension Feed: ExpressibleByArgument {}

struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Validate one department feed and emit person events (and dead letters).")

    @Option(name: .long, help: ArgumentHelp("The department feed.", valueName: Feed.allCases.map(\.rawValue).joined(separator: "|")))
    var feed: Feed

    @OptionGroup var shared: WorkerOptions

    func run() async throws { try await shared.runWorker(.intake(feed)) }
}

struct CrosscheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosscheck", abstract: "Apply the rules to person events and publish alerts.")

    @OptionGroup var shared: WorkerOptions

    func run() async throws { try await shared.runWorker(.crosscheck) }
}
