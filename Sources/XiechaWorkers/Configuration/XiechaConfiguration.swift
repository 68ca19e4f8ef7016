import Foundation
import Kafka
import XiechaCore
import XiechaStore
import Yams

/// Every setting of a Xiecha process, documented once here.
///
/// Built-in defaults run the embedded mode. A YAML file (`--config`, env `XIECHA_CONFIG`) overrides
/// them, environment variables override the file, and command-line options override both.
///
/// ```yaml
/// kafka:
///   brokers: "kafka-1:9092,kafka-2:9092"   # env XIECHA_BROKERS
///   properties:                             # any librdkafka property, passed through unchanged
///     security.protocol: SASL_SSL           # env XIECHA_KAFKA_SECURITY_PROTOCOL (dots → underscores)
/// store: "postgres://xiecha@db/xiecha"      # env XIECHA_STORE; or sqlite:PATH
/// inbox: "sqlite:.xiecha/inbox.sqlite"      # the notify worker's inbox; env XIECHA_INBOX_STORE. Default: with a
///                                          # postgres store, that database; else inbox.sqlite beside a SQLite store
/// jurisdiction:
///   regionPrefixes: ["421125"]              # hukou regions counted as local; env XIECHA_LOCAL_REGIONS (comma-separated)
///   timeZone: "Asia/Shanghai"                # sets the offset (a zone without daylight saving time)
///   utcOffsetHours: 8                       # or the offset alone; both must agree
/// privacy:
///   personRefSecret: "…"                    # HMAC key of personRef; env XIECHA_PERSON_REF_SECRET
/// rules:
///   minimumAge: 18
///   maximumAge: 49
///   certificateGraceDays: 30
///   expiringWindowDays: 30
///   escalationDays: 7
/// feeds:
///   silenceWindowHours: 24                  # a department topic silent this long raises an operator alert
/// webhooks:                                 # each office's inbox changes, POSTed and signed (Standard Webhooks)
///   endpoints:
///     - office: "421125001001"              # a community (12 digits), a street (9 digits: all its communities) or unassigned
///       url: "https://office.example/xiecha"
///       secret: "whsec_…"                   # whsec_ + base64 of the key, or any text (its UTF-8 bytes are the key)
///     - office: "421125001"
///       url: "https://street.example/hook"
///       secretEnv: XIECHA_WEBHOOK_SECRET_421125001   # or the secret read from this environment variable
///   retrySchedule: [0s, 5s, 5m, 30m, 2h, 5h, 10h, 24h]   # delay before each attempt; then the failed list
///   jitter: 0.2                             # each retry delay moved by up to ±20 %
///   timeoutSeconds: 15                      # per request, connecting included
///   concurrency: 16                         # requests in flight
/// ```
public struct XiechaConfiguration: Sendable {
    /// Kafka bootstrap servers. Default: none (the embedded mode passes them explicitly).
    public var brokers: [String] = []
    /// librdkafka properties for every client (TLS/SASL and tuning).
    public var kafkaProperties: [String: String] = [:]
    /// Where state lives. Default `sqlite:.xiecha/state.sqlite`.
    public var store: StoreURL = .sqlite(path: ".xiecha/state.sqlite", synchronous: .normal)
    /// The rules, the jurisdiction (regions, zone) and the `personRef` key, as the engine takes
    /// them: one struct, documented in `RulesConfiguration`, not a copy of its fields.
    public var rules = RulesConfiguration()
    /// Feed health: how long a department topic may stay silent.
    public var feedSilenceWindow: Duration = .seconds(24 * 3600)
    /// Where the notify worker keeps the offices' inboxes and the webhook queue; `nil`: see ``inboxStoreURL``.
    public var inboxStore: StoreURL?
    /// The offices' webhooks.
    public var webhooks = WebhookConfiguration()

    /// The inbox store in use: ``inboxStore`` when set; otherwise the store's own PostgreSQL database (tables of its
    /// own), or a SQLite file of its own, `inbox.sqlite`, beside a SQLite store (`.xiecha/inbox.sqlite` by default:
    /// one writer per SQLite file); a private in-memory database beside an in-memory store.
    public var inboxStoreURL: StoreURL {
        if let inboxStore { return inboxStore }
        switch store {
        case .postgres: return store
        case .sqlite(let path, let synchronous):
            let slash = path.lastIndex(of: "/")
            let directory = slash.map { String(path[...$0]) } ?? ""
            return .sqlite(path: directory + "inbox.sqlite", synchronous: synchronous)
        case .sqliteInMemory, .memory: return .sqliteInMemory
        }
    }

    public init() {}

    /// Defaults, then the YAML file (if any), then the environment.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> XiechaConfiguration
    {
        var c = XiechaConfiguration()
        if let path = file ?? environment["XIECHA_CONFIG"] {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ConfigurationError(message: "cannot read configuration file '\(path)': \(error.localizedDescription)")
            }
            try c.apply(yaml: text, source: path)
        }
        try c.apply(environment: environment)
        return c
    }

    mutating func apply(yaml text: String, source: String) throws(ConfigurationError) {
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw ConfigurationError(message: "\(source): not valid YAML: \(error)")
        }
        guard let root = node as? [String: Any] else {
            if node == nil { return }
            throw ConfigurationError(message: "\(source): the top level must be a mapping")
        }
        let known: Set<String> = ["kafka", "store", "inbox", "jurisdiction", "privacy", "rules", "feeds", "webhooks"]
        for key in root.keys where !known.contains(key) {
            throw ConfigurationError(message: "\(source): unknown setting '\(key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func section(_ name: String) throws(ConfigurationError) -> [String: Any] {
            guard let v = root[name] else { return [:] }
            guard let m = v as? [String: Any] else { throw ConfigurationError(message: "\(source): '\(name)' must be a mapping") }
            return m
        }
        func int(_ m: [String: Any], _ key: String, _ path: String) throws(ConfigurationError) -> Int? {
            guard let v = m[key] else { return nil }
            guard let i = v as? Int else { throw ConfigurationError(message: "\(source): '\(path).\(key)' must be a whole number") }
            return i
        }
        let kafka = try section("kafka")
        if let b = kafka["brokers"] { brokers = String(describing: b).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let p = kafka["properties"] {
            guard let props = p as? [String: Any] else { throw ConfigurationError(message: "\(source): 'kafka.properties' must be a mapping") }
            for (k, v) in props { kafkaProperties[k] = String(describing: v) }
        }
        if let s = root["store"] { store = try Self.storeURL(String(describing: s), source: "\(source): 'store'") }
        if let s = root["inbox"] { inboxStore = try Self.storeURL(String(describing: s), source: "\(source): 'inbox'") }
        if let w = root["webhooks"] { webhooks = try WebhookConfiguration.parse(w, source: source) }
        let j = try section("jurisdiction")
        if let r = j["regionPrefixes"] {
            guard let list = r as? [Any] else { throw ConfigurationError(message: "\(source): 'jurisdiction.regionPrefixes' must be a list") }
            rules.localRegionPrefixes = list.map { String(describing: $0) }
        }
        let offsetHours = try int(j, "utcOffsetHours", "jurisdiction")
        if let h = offsetHours { rules.utcOffsetSeconds = h * 3600 }
        if let tz = j["timeZone"] {
            // Deadlines are calendar days in this zone: a name must mean its offset, not be a label.
            let name = String(describing: tz)
            guard let zone = TimeZone(identifier: name) else {
                throw ConfigurationError(message: "\(source): 'jurisdiction.timeZone' \(name) is not a known time zone (e.g. Asia/Shanghai)")
            }
            if zone.nextDaylightSavingTimeTransition != nil {
                throw ConfigurationError(
                    message: "\(source): 'jurisdiction.timeZone' \(name) has daylight saving time; deadlines need a fixed offset (a zone without DST, or utcOffsetHours alone)")
            }
            let seconds = zone.secondsFromGMT()
            if let h = offsetHours, h * 3600 != seconds {
                throw ConfigurationError(
                    message: "\(source): 'jurisdiction.utcOffsetHours' \(h) contradicts 'jurisdiction.timeZone' \(name) (UTC\(seconds >= 0 ? "+" : "")\(Double(seconds) / 3600))")
            }
            rules.timeZoneName = name
            rules.utcOffsetSeconds = seconds
        }
        let p = try section("privacy")
        if let s = p["personRefSecret"] { rules.personRefSecret = Array(String(describing: s).utf8) }
        let r = try section("rules")
        if let v = try int(r, "minimumAge", "rules") { rules.minimumAge = v }
        if let v = try int(r, "maximumAge", "rules") { rules.maximumAge = v }
        if let v = try int(r, "certificateGraceDays", "rules") { rules.certificateGraceDays = v }
        if let v = try int(r, "expiringWindowDays", "rules") { rules.expiringWindowDays = v }
        if let v = try int(r, "escalationDays", "rules") { rules.escalationDays = v }
        let f = try section("feeds")
        if let v = try int(f, "silenceWindowHours", "feeds") { feedSilenceWindow = .seconds(v * 3600) }
        try validate(source: source)
    }

    mutating func apply(environment env: [String: String]) throws(ConfigurationError) {
        if let b = env["XIECHA_BROKERS"], !b.isEmpty { brokers = b.split(separator: ",").map(String.init) }
        if let s = env["XIECHA_STORE"], !s.isEmpty { store = try Self.storeURL(s, source: "XIECHA_STORE") }
        if let s = env["XIECHA_INBOX_STORE"], !s.isEmpty { inboxStore = try Self.storeURL(s, source: "XIECHA_INBOX_STORE") }
        try webhooks.resolveSecrets(environment: env)
        if let s = env["XIECHA_PERSON_REF_SECRET"], !s.isEmpty { rules.personRefSecret = Array(s.utf8) }
        if let r = env["XIECHA_LOCAL_REGIONS"], !r.isEmpty { rules.localRegionPrefixes = r.split(separator: ",").map(String.init) }
        for (k, v) in env where k.hasPrefix("XIECHA_KAFKA_") {
            kafkaProperties[k.dropFirst("XIECHA_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")] = v
        }
        try validate(source: "environment")
    }

    func validate(source: String) throws(ConfigurationError) {
        for p in rules.localRegionPrefixes where p.isEmpty || p.count > 6 || !p.allSatisfy(\.isASCII) || !p.allSatisfy(\.isNumber) {
            throw ConfigurationError(message: "\(source): region prefix '\(p)' must be 1–6 digits")
        }
        guard rules.minimumAge >= 0, rules.maximumAge >= rules.minimumAge else {
            throw ConfigurationError(message: "\(source): rules.minimumAge/maximumAge out of order")
        }
    }

    /// Kafka client settings with the pass-through properties.
    public func kafkaClient() -> KafkaClientConfiguration {
        var c = KafkaClientConfiguration(bootstrapServers: brokers)
        c.properties = kafkaProperties
        return c
    }

    /// The jurisdiction as the intake core sees it.
    public var jurisdiction: Jurisdiction { Jurisdiction(regionPrefixes: rules.localRegionPrefixes) }

    /// Parses a store location, or says where the bad one came from.
    public static func storeURL(_ text: String, source: String) throws(ConfigurationError) -> StoreURL {
        do { return try StoreURL(parsing: text) } catch {
            throw ConfigurationError(message: "\(source): \(error)")
        }
    }
}

/// A setting that cannot be used, with where it came from.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "configuration error: \(message)" }
}
