import Foundation
import XiechaStore

/// The offices' webhooks (DESIGN.md "Office side"): where each office's inbox changes are POSTed, with what secret,
/// and how failed attempts are retried. The `webhooks` section of the configuration file (see
/// ``XiechaConfiguration``).
public struct WebhookConfiguration: Sendable, Hashable {
    /// One office's endpoint.
    public struct Endpoint: Sendable, Hashable {
        /// A community (12 digits), a street (9 digits) or `unassigned` (the jurisdiction's queue).
        public var office: String
        /// `http://` or `https://`.
        public var url: String
        /// The signing secret: `whsec_` + base64 of the key (Standard Webhooks' form), or any other text, whose UTF-8
        /// bytes are the key. Empty until resolved from `secretEnvironment`.
        public var secret: String
        /// The environment variable holding the secret, when the file names one instead of the secret itself.
        public var secretEnvironment: String?

        /// An endpoint.
        public init(office: String, url: String, secret: String, secretEnvironment: String? = nil) {
            self.office = office
            self.url = url
            self.secret = secret
            self.secretEnvironment = secretEnvironment
        }

        /// The office and URL, as the store knows the endpoint.
        public var target: WebhookTarget { WebhookTarget(office: office, url: url) }
    }

    /// Every office's endpoints (an office may have several).
    public var endpoints: [Endpoint] = []
    /// The delay before each attempt: the first is the delay after the change reaches the inbox, each further one the
    /// delay after the previous attempt failed; after the last, the delivery goes to the failed list. Default: at
    /// once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h (eight attempts).
    public var retrySchedule: [Duration] = WebhookConfiguration.defaultRetrySchedule
    /// Each retry delay is moved by a random amount of up to this fraction of it either way, so the retries of many
    /// deliveries that failed together (a receiver's outage) do not arrive together.
    public var jitter: Double = 0.2
    /// How long one request may take, connecting included, before the attempt counts as failed.
    public var timeout: Duration = .seconds(15)
    /// Requests in flight at once, over all endpoints.
    public var concurrency: Int = 16

    /// The Standard Webhooks schedule DESIGN.md gives.
    public static let defaultRetrySchedule: [Duration] = [
        .zero, .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600), .seconds(10 * 3600),
        .seconds(24 * 3600),
    ]

    /// No endpoints, the default schedule.
    public init() {}

    /// Office code → its endpoints' URLs, as the inbox routes changes.
    public var urlsByOffice: [String: [String]] {
        var out: [String: [String]] = [:]
        for e in endpoints { out[e.office, default: []].append(e.url) }
        return out
    }

    /// The configured endpoint of `target`, if it is still configured.
    public func endpoint(_ target: WebhookTarget) -> Endpoint? {
        endpoints.first { $0.office == target.office && $0.url == target.url }
    }

    // MARK: Parsing

    /// The `webhooks` section of a configuration file.
    static func parse(_ node: Any, source: String) throws(ConfigurationError) -> WebhookConfiguration {
        guard let m = node as? [String: Any] else { throw ConfigurationError(message: "\(source): 'webhooks' must be a mapping") }
        let known: Set<String> = ["endpoints", "retrySchedule", "jitter", "timeoutSeconds", "concurrency"]
        for key in m.keys where !known.contains(key) {
            throw ConfigurationError(message: "\(source): unknown setting 'webhooks.\(key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var c = WebhookConfiguration()
        if let list = m["endpoints"] {
            guard let items = list as? [Any] else { throw ConfigurationError(message: "\(source): 'webhooks.endpoints' must be a list") }
            for (i, item) in items.enumerated() {
                let path = "webhooks.endpoints[\(i)]"
                guard let e = item as? [String: Any] else { throw ConfigurationError(message: "\(source): '\(path)' must be a mapping") }
                let keys: Set<String> = ["office", "url", "secret", "secretEnv"]
                for key in e.keys where !keys.contains(key) {
                    throw ConfigurationError(message: "\(source): unknown setting '\(path).\(key)' (known: office, url, secret, secretEnv)")
                }
                guard let office = e["office"].map({ String(describing: $0) }), let url = e["url"].map({ String(describing: $0) }) else {
                    throw ConfigurationError(message: "\(source): '\(path)' needs an office and a url")
                }
                let secret = e["secret"].map { String(describing: $0) }
                let secretEnv = e["secretEnv"].map { String(describing: $0) }
                guard (secret == nil) != (secretEnv == nil) else {
                    throw ConfigurationError(message: "\(source): '\(path)' needs either a secret or a secretEnv (the variable holding it)")
                }
                c.endpoints.append(Endpoint(office: office, url: url, secret: secret ?? "", secretEnvironment: secretEnv))
            }
        }
        if let s = m["retrySchedule"] {
            guard let items = s as? [Any] else {
                throw ConfigurationError(message: "\(source): 'webhooks.retrySchedule' must be a list of delays (0s, 5s, 5m, 2h, …)")
            }
            c.retrySchedule = try items.map { (item: Any) throws(ConfigurationError) -> Duration in
                guard let d = parseDelay(item) else {
                    throw ConfigurationError(
                        message: "\(source): 'webhooks.retrySchedule' entry '\(item)' is not a delay (a number of seconds, or 200ms, 5s, 5m, 2h)")
                }
                return d
            }
        }
        if let j = m["jitter"] {
            guard let v = number(j) else { throw ConfigurationError(message: "\(source): 'webhooks.jitter' must be a number") }
            c.jitter = v
        }
        if let t = m["timeoutSeconds"] {
            guard let v = number(t) else { throw ConfigurationError(message: "\(source): 'webhooks.timeoutSeconds' must be a number") }
            c.timeout = .milliseconds(Int64((v * 1000).rounded()))
        }
        if let n = m["concurrency"] {
            guard let v = n as? Int else { throw ConfigurationError(message: "\(source): 'webhooks.concurrency' must be a whole number") }
            c.concurrency = v
        }
        try c.validate(source: source)
        return c
    }

    /// Fills each `secretEnv` endpoint's secret from `environment`.
    mutating func resolveSecrets(environment: [String: String]) throws(ConfigurationError) {
        for i in endpoints.indices {
            guard let name = endpoints[i].secretEnvironment else { continue }
            guard let value = environment[name], !value.isEmpty else {
                throw ConfigurationError(
                    message: "webhook of office \(endpoints[i].office): the environment variable \(name) named by its secretEnv is not set")
            }
            endpoints[i].secret = value
        }
    }

    func validate(source: String) throws(ConfigurationError) {
        var seen = Set<WebhookTarget>()
        for e in endpoints {
            guard Self.isOfficeCode(e.office) else {
                throw ConfigurationError(
                    message: "\(source): webhook office '\(e.office)' must be a community code (12 digits), a street code (9 digits) or unassigned")
            }
            guard let url = URL(string: e.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                url.host?.isEmpty == false
            else {
                throw ConfigurationError(message: "\(source): webhook url of office \(e.office) must be an http:// or https:// URL with a host")
            }
            if e.secretEnvironment == nil {
                guard !e.secret.isEmpty else { throw ConfigurationError(message: "\(source): webhook of office \(e.office) has an empty secret") }
                guard WebhookSigner(secret: e.secret) != nil else {
                    throw ConfigurationError(message: "\(source): webhook secret of office \(e.office) starts with whsec_ but is not base64 after it")
                }
            }
            guard seen.insert(e.target).inserted else {
                throw ConfigurationError(message: "\(source): the webhook \(e.url) of office \(e.office) is listed twice")
            }
        }
        guard !retrySchedule.isEmpty else { throw ConfigurationError(message: "\(source): 'webhooks.retrySchedule' needs at least one entry") }
        guard retrySchedule.allSatisfy({ $0 >= .zero }) else {
            throw ConfigurationError(message: "\(source): 'webhooks.retrySchedule' delays cannot be negative")
        }
        guard (0...1).contains(jitter) else { throw ConfigurationError(message: "\(source): 'webhooks.jitter' must be between 0 and 1") }
        guard timeout > .zero else { throw ConfigurationError(message: "\(source): 'webhooks.timeoutSeconds' must be more than 0") }
        guard concurrency >= 1 else { throw ConfigurationError(message: "\(source): 'webhooks.concurrency' must be at least 1") }
    }

    /// A community code (12 digits), a street code (9 digits) or `unassigned`.
    static func isOfficeCode(_ s: String) -> Bool {
        if s == InboxRouting.unassigned { return true }
        return (s.utf8.count == 12 || s.utf8.count == 9) && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// `0`, `0.2`, `5s`, `200ms`, `5m`, `2h` (YAML may hand over a number or a string).
    static func parseDelay(_ value: Any) -> Duration? {
        if let v = number(value) { return v >= 0 ? .milliseconds(Int64((v * 1000).rounded())) : nil }
        let text = String(describing: value).trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v >= 0 else { return nil }
            return .milliseconds(Int64((v * seconds * 1000).rounded()))
        }
        return nil
    }

    private static func number(_ value: Any) -> Double? {
        if let i = value as? Int { return Double(i) }
        if let d = value as? Double { return d }
        return nil
    }
}
