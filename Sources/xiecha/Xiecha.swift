import ArgumentParser

/// The one Xiecha executable; each worker kind runs as its own process in production.
@main
struct Xiecha: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xiecha",
        abstract: "Cross-checks migrants' marriage-and-childbearing certificates against department records.",
        subcommands: [VersionCommand.self, EmbeddedKafkaCommand.self, WorkerCommand.self, PublishCommand.self, TopicsCommand.self, AlertsCommand.self, SimulateCommand.self, WebhooksCommand.self]
    )
}
