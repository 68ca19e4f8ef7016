import ArgumentParser
import XiechaCore
import XiechaStore
import XiechaWorkers

/// `xiecha worker KIND`: one worker process.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run one worker process.", subcommands: [IntakeCommand.self, CrosscheckCommand.self, NotifyCommand.self])
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

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Keep each office's inbox from the alerts, and deliver every change to the offices' webhooks.",
        discussion: """
            The inbox is the last message per alertId, with every message kept as history; webhooks are configured \
            per office in the configuration file (webhooks:) and retried on their schedule. `xiecha webhooks failed` \
            lists what could not be delivered, `xiecha webhooks replay` queues it again.
            """)

    @OptionGroup var shared: WorkerOptions

    @Option(
        help: ArgumentHelp(
            "Inbox store: sqlite:PATH or postgres://… (env XIECHA_INBOX_STORE; default: the store's PostgreSQL database, or inbox.sqlite beside a SQLite store).",
            valueName: "url"),
        transform: { try StoreURL(parsing: $0) })
    var inbox: StoreURL?

    func run() async throws {
        try await shared.runWorker(.notify) { c in
            if let inbox { c.inboxStore = inbox }
        }
    }
}
