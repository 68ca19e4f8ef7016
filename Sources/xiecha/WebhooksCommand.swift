import ArgumentParser
import Foundation
import Logging
import XiechaCore
import XiechaStore
import XiechaWorkers

/// `xiecha webhooks …`: what operators do about webhook deliveries (DESIGN.md "Office side"): see what failed, queue it
/// again once the receiver is back, re-enable an endpoint that answered 410. These work on the inbox store directly
/// (no Kafka); a running notify worker picks queued deliveries up within a second.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "List and replay webhook deliveries that failed; show and re-enable endpoints.",
        subcommands: [Failed.self, Replay.self, Endpoints.self])

    /// Where the inbox is: the configuration's, or `--store` / `--inbox`.
    struct InboxOptions: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Configuration file, YAML (env XIECHA_CONFIG).", valueName: "file"))
        var config: String?

        @Option(
            help: ArgumentHelp("State store: sqlite:PATH or postgres://… (env XIECHA_STORE); the inbox defaults from it.", valueName: "url"),
            transform: { try StoreURL(parsing: $0) })
        var store: StoreURL?

        @Option(
            help: ArgumentHelp("Inbox store: sqlite:PATH or postgres://… (env XIECHA_INBOX_STORE).", valueName: "url"),
            transform: { try StoreURL(parsing: $0) })
        var inbox: StoreURL?

        /// Opens the inbox store; `body` runs with it and it is closed afterwards.
        func withInbox<T>(_ body: (any InboxStore) async throws -> T) async throws -> T {
            var c = try XiechaConfiguration.load(file: config)
            if let store { c.store = store }
            if let inbox { c.inboxStore = inbox }
            var logger = Logger(label: "xiecha.webhooks")
            logger.logLevel = .warning
            // An operator's typo must not create an empty inbox that says "no failed deliveries".
            if case .sqlite(let path, _) = c.inboxStoreURL, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("no inbox at \(path): give the notify worker's --inbox (or --store / --config)")
            }
            let inboxStore = try await makeInboxStore(url: c.inboxStoreURL, logger: logger)
            do {
                let result = try await body(inboxStore)
                try await inboxStore.close()
                return result
            } catch {
                try? await inboxStore.close()
                throw error
            }
        }
    }

    /// How a listing is printed.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    struct Failed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "failed",
            abstract: "List deliveries on the failed list: alert, office, URL, attempts, last status or error, when.",
            discussion: "The payload is not shown (it is the masked alert message the office's inbox holds).")

        @OptionGroup var inboxOptions: InboxOptions

        @Option(help: ArgumentHelp("Only this office's (community or street code).", valueName: "code"))
        var office: String?

        @Option(name: .customLong("alert"), help: ArgumentHelp("Only this alert's.", valueName: "alert-id"))
        var alertId: String?

        @Option(help: "At most this many.")
        var limit: Int = 1000

        @Option(help: "table | json (one object per line).")
        var format: Format = .table

        func run() async throws {
            let failed = try await inboxOptions.withInbox { try await $0.failedDeliveries(office: office, alertId: alertId, limit: limit) }
            switch format {
            case .json:
                for f in failed { print(Self.json(f)) }
            case .table:
                if failed.isEmpty {
                    print("no failed deliveries")
                    return
                }
                print(["FAILED AT".padded(24), "WEBHOOK-ID".padded(40), "OFFICE".padded(12), "TRIES", "LAST".padded(12), "URL"].joined(separator: " "))
                for f in failed {
                    print(
                        [
                            Timestamp(millisecondsSinceEpoch: f.failedAtMs).description.padded(24), f.webhookId.padded(40), f.target.office.padded(12),
                            String(f.attempts).padded(5), Self.last(f).padded(12), f.target.url,
                        ].joined(separator: " "))
                }
            }
        }

        static func last(_ f: FailedWebhookDelivery) -> String {
            if let s = f.lastStatus { return "HTTP \(s)" }
            return f.lastError ?? "-"
        }

        static func json(_ f: FailedWebhookDelivery) -> String {
            var w = JSONWriter(capacity: 256)
            w.beginObject()
            w.member("alertId", f.alertId)
            w.key("sequence")
            w.int(f.sequence)
            w.member("webhookId", f.webhookId)
            w.member("office", f.target.office)
            w.member("url", f.target.url)
            w.key("attempts")
            w.int(Int64(f.attempts))
            w.key("lastStatus")
            if let s = f.lastStatus { w.int(Int64(s)) } else { w.null() }
            w.key("lastError")
            if let e = f.lastError { w.string(e) } else { w.null() }
            w.key("lastAttemptAt")
            if let t = f.lastAttemptAtMs { w.timestamp(Timestamp(millisecondsSinceEpoch: t)) } else { w.null() }
            w.key("failedAt")
            w.timestamp(Timestamp(millisecondsSinceEpoch: f.failedAtMs))
            w.endObject()
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Queue failed deliveries again (all, an office's or an alert's), with a fresh retry schedule.",
            discussion: """
                A running notify worker delivers them within a second or so. An endpoint disabled by a 410 stays \
                disabled, its deliveries held, unless --enable re-enables it (the office's, or all with no --office).
                """)

        @OptionGroup var inboxOptions: InboxOptions

        @Option(help: ArgumentHelp("Only this office's (community or street code).", valueName: "code"))
        var office: String?

        @Option(name: .customLong("alert"), help: ArgumentHelp("Only this alert's.", valueName: "alert-id"))
        var alertId: String?

        @Flag(help: "Also re-enable disabled endpoints (of --office, or all).")
        var enable = false

        func run() async throws {
            let (enabled, replayed) = try await inboxOptions.withInbox { inbox -> (Int, Int) in
                let enabled = enable ? try await inbox.enableEndpoints(office: office) : 0
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                return (enabled, try await inbox.replayFailed(office: office, alertId: alertId, nowMs: now))
            }
            if enable { print("re-enabled \(enabled) endpoint\(enabled == 1 ? "" : "s")") }
            print("queued \(replayed) failed deliver\(replayed == 1 ? "y" : "ies") again")
        }
    }

    struct Endpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "endpoints", abstract: "List the webhook endpoints the inbox knows: enabled or disabled, pending and failed counts.")

        @OptionGroup var inboxOptions: InboxOptions

        func run() async throws {
            let endpoints = try await inboxOptions.withInbox { try await $0.endpoints() }
            print(["OFFICE".padded(12), "STATE".padded(8), "PENDING", "FAILED", "URL"].joined(separator: " "))
            for e in endpoints {
                print(
                    [
                        e.target.office.padded(12), (e.disabledAtMs == nil ? "enabled" : "disabled").padded(8), String(e.pending).padded(7),
                        String(e.failed).padded(6), e.target.url,
                    ].joined(separator: " "))
            }
        }
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
