/// The one error type of XiechaStore.
///
/// `message` is written for operators: it names the store (with any password redacted), the migration or the
/// operation, and what failed. It never contains state or alert payload bytes, nor bound query values.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. An extensible set of static values.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// The store URL could not be parsed or names an unsupported scheme.
        public static let invalidURL = Code("invalidURL")
        /// The database could not be opened or reached.
        public static let connectionFailed = Code("connectionFailed")
        /// A schema migration failed; the migration's version is in the message.
        public static let migrationFailed = Code("migrationFailed")
        /// The database was migrated by a newer build than this one.
        public static let schemaTooNew = Code("schemaTooNew")
        /// A batch named an event id that was already processed, or named it twice. Nothing was committed.
        public static let duplicateProcessedEvent = Code("duplicateProcessedEvent")
        /// A query or transaction failed. Nothing of a failed commit was applied.
        public static let queryFailed = Code("queryFailed")
        /// The database returned data the store cannot read.
        public static let corruptData = Code("corruptData")
        /// An argument was out of range.
        public static let invalidArgument = Code("invalidArgument")
        /// The store was used after `close()`.
        public static let closed = Code("closed")

        public var description: String { raw }
    }

    /// What kind of failure this is.
    public var code: Code
    /// Operator-facing explanation.
    public var message: String
    /// Where in XiechaStore the error was raised.
    public var file: String
    /// Where in XiechaStore the error was raised.
    public var line: Int

    /// Creates an error.
    public init(code: Code, message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// Whether retrying the same operation later may succeed (the database was unreachable or a query failed for a
    /// reason other than the batch's content).
    public var isRetriable: Bool {
        code == .connectionFailed || code == .queryFailed
    }

    public var description: String { "StoreError.\(code): \(message)" }
}
