import struct Foundation.URLComponents

/// Where the state lives, parsed from `--store` / `XIECHA_STORE`.
///
/// Accepted forms:
/// - `sqlite:PATH` (also `sqlite://PATH` with an absolute path), optionally `?synchronous=normal|full`
/// - `sqlite::memory:`: a private in-memory SQLite database
/// - `memory:`: ``InMemoryStateStore`` (no SQL at all)
/// - `postgres://user:password@host:port/database` (or `postgresql://`), with optional query items
///   `sslmode=disable|prefer|require` (default `prefer`), `schema=NAME` (tables live in that schema, created on
///   migration) and `application_name=NAME`.
public enum StoreURL: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite database file.
    case sqlite(path: String, synchronous: SQLiteSynchronous)
    /// A private in-memory SQLite database.
    case sqliteInMemory
    /// ``InMemoryStateStore``.
    case memory
    /// A PostgreSQL database.
    case postgres(PostgresLocation)

    /// SQLite's `PRAGMA synchronous` in WAL mode.
    public enum SQLiteSynchronous: String, Sendable, Hashable {
        /// Durable against a crash of the process; the last transactions may roll back on power loss or an OS crash.
        case normal
        /// Durable against power loss too (an fsync per commit).
        case full
    }

    /// TLS use towards PostgreSQL, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable, Hashable {
        /// No TLS.
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or fail.
        case require
    }

    /// A parsed PostgreSQL location.
    public struct PostgresLocation: Sendable, Hashable {
        /// Host name or address.
        public var host: String
        /// TCP port.
        public var port: Int
        /// User name.
        public var username: String
        /// Password, if any.
        public var password: String?
        /// Database name (default: the user name, as in libpq).
        public var database: String
        /// Schema holding the tables, if not the default search path.
        public var schema: String?
        /// TLS use.
        public var sslMode: SSLMode
        /// Reported to the server as `application_name`.
        public var applicationName: String

        /// Creates a location.
        public init(
            host: String,
            port: Int = 5432,
            username: String,
            password: String? = nil,
            database: String,
            schema: String? = nil,
            sslMode: SSLMode = .prefer,
            applicationName: String = "xiecha"
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.schema = schema
            self.sslMode = sslMode
            self.applicationName = applicationName
        }
    }

    /// Parses a store URL; throws ``StoreError/Code/invalidURL`` naming what is wrong.
    public init(parsing string: String) throws(StoreError) {
        let trimmed = string.trimmingWhitespace()
        if trimmed == "memory:" {
            self = .memory
        } else if trimmed == "sqlite::memory:" {
            self = .sqliteInMemory
        } else if trimmed.hasPrefix("sqlite:") {
            self = try Self.parseSQLite(trimmed)
        } else if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(try Self.parsePostgres(trimmed))
        } else {
            throw Self.invalid(
                string,
                "expected sqlite:PATH, sqlite::memory:, memory: or postgres://user:password@host:port/database"
            )
        }
    }

    /// The URL as it may be logged: the password is replaced by `***`.
    public var description: String {
        switch self {
        case .memory: return "memory:"
        case .sqliteInMemory: return "sqlite::memory:"
        case .sqlite(let path, let sync):
            return sync == .normal ? "sqlite:\(path)" : "sqlite:\(path)?synchronous=\(sync.rawValue)"
        case .postgres(let p):
            var s = "postgres://\(p.username)\(p.password == nil ? "" : ":***")@\(p.host):\(p.port)/\(p.database)"
            var items: [String] = []
            if let schema = p.schema { items.append("schema=\(schema)") }
            if p.sslMode != .prefer { items.append("sslmode=\(p.sslMode.rawValue)") }
            if !items.isEmpty { s += "?" + items.joined(separator: "&") }
            return s
        }
    }

    private static func parseSQLite(_ s: String) throws(StoreError) -> StoreURL {
        var rest = String(s.dropFirst("sqlite:".count))
        if rest.hasPrefix("//") { rest.removeFirst(2) }
        var synchronous = SQLiteSynchronous.normal
        if let q = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: q)...]
            rest = String(rest[..<q])
            for item in query.split(separator: "&") {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0] == "synchronous",
                    let value = SQLiteSynchronous(rawValue: parts[1].lowercased())
                else {
                    throw invalid(s, "unknown option '\(item)' (supported: synchronous=normal|full)")
                }
                synchronous = value
            }
        }
        guard !rest.isEmpty else { throw invalid(s, "the SQLite file path is empty") }
        if rest == ":memory:" { return .sqliteInMemory }
        return .sqlite(path: rest, synchronous: synchronous)
    }

    private static func parsePostgres(_ s: String) throws(StoreError) -> PostgresLocation {
        guard let c = URLComponents(string: s) else { throw invalid(s, "not a valid URL") }
        guard let host = c.host, !host.isEmpty else { throw invalid(s, "the host is missing") }
        guard let user = c.user, !user.isEmpty else { throw invalid(s, "the user name is missing") }
        let port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid(s, "port \(port) is out of range") }
        var path = c.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.contains("/") else { throw invalid(s, "the path must be just the database name") }
        var location = PostgresLocation(
            host: host,
            port: port,
            username: user,
            password: c.password,
            database: path.isEmpty ? user : path
        )
        for item in c.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid(s, "sslmode must be disable, prefer or require, not '\(value)'")
                }
                location.sslMode = mode
            case "schema", "search_path":
                guard isPlainIdentifier(value) else {
                    throw invalid(s, "schema must be a plain lower-case identifier ([a-z_][a-z0-9_]*), not '\(value)'")
                }
                location.schema = value
            case "application_name":
                location.applicationName = value
            default:
                throw invalid(s, "unknown option '\(item.name)' (supported: sslmode, schema, application_name)")
            }
        }
        return location
    }

    private static func invalid(_ s: String, _ why: String) -> StoreError {
        StoreError(code: .invalidURL, message: "store URL '\(redact(s))' is not usable: \(why)")
    }

    /// `s` with anything between `://user:` and `@` replaced by `***`.
    static func redact(_ s: String) -> String {
        guard let scheme = s.range(of: "://") else { return s }
        let authorityEnd = s[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? s.endIndex
        guard let at = s[scheme.upperBound..<authorityEnd].lastIndex(of: "@"),
            let colon = s[scheme.upperBound..<at].firstIndex(of: ":")
        else { return s }
        return String(s[..<s.index(after: colon)]) + "***" + String(s[at...])
    }
}

/// `[a-z_][a-z0-9_]*`, at most 63 bytes: safe to splice into SQL unquoted.
func isPlainIdentifier(_ s: String) -> Bool {
    guard let first = s.utf8.first, s.utf8.count <= 63 else { return false }
    func ok(_ c: UInt8, digits: Bool) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || c == UInt8(ascii: "_")
            || (digits && c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }
    return ok(first, digits: false) && s.utf8.allSatisfy { ok($0, digits: true) }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
