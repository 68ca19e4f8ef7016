/// Why a record became a dead letter: a stable, machine-readable `code` (logged, counted in
/// metrics, written to the `xiecha.reason` header) plus an optional human `detail`.
///
/// Privacy: neither `code` nor `detail` ever contains a value taken from the record (no ID
/// number, no name): codes are built from a fixed set of kinds and JSON paths of *known*
/// fields only (unknown fields are ignored, so a path can't carry a department's text).
public struct DeadLetterReason: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason family, e.g. `missing_field`.
    public var kind: Kind
    /// The JSON path of the offending field for field-level kinds (`person.idNumber`,
    /// `parties[1].birthDate`); `nil` for record-level kinds.
    public var path: String?
    /// A short explanation for people; never record content. Not part of equality.
    public var detail: String?

    public init(_ kind: Kind, path: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    /// `kind` or `kind:path` — the stable string written to headers and logs.
    public var code: String {
        guard let path else { return kind.rawValue }
        return kind.rawValue + ":" + path
    }

    public var description: String {
        guard let detail else { return code }
        return code + " (" + detail + ")"
    }

    /// Parses a `code` back (e.g. from a dead-letter header).
    public init(code: String, detail: String? = nil) {
        if let colon = code.firstIndex(of: ":") {
            self.init(Kind(rawValue: String(code[..<colon])), path: String(code[code.index(after: colon)...]), detail: detail)
        } else {
            self.init(Kind(rawValue: code), detail: detail)
        }
    }

    public static func == (a: DeadLetterReason, b: DeadLetterReason) -> Bool { a.kind == b.kind && a.path == b.path }
    public func hash(into h: inout Hasher) {
        h.combine(kind)
        h.combine(path)
    }

    /// A reason family. Extensible: unknown strings round-trip through `init(code:)`.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // Record level
        /// The value is null (a tombstone) or zero bytes, on a topic that takes none.
        public static let emptyValue = Kind(rawValue: "empty_value")
        /// Larger than `RecordLimits.maxRecordBytes` (1 MiB).
        public static let recordTooLarge = Kind(rawValue: "record_too_large")
        /// The value is not valid UTF-8.
        public static let invalidUTF8 = Kind(rawValue: "invalid_utf8")
        /// The value is not a JSON document.
        public static let notJSON = Kind(rawValue: "not_json")
        /// The value is JSON but not an object.
        public static let notObject = Kind(rawValue: "not_object")
        /// The topic is not one this processor handles.
        public static let unsupportedTopic = Kind(rawValue: "unsupported_topic")
        /// An address-directory tombstone without a key, or a key that disagrees with `houseId`.
        public static let missingKey = Kind(rawValue: "missing_key")
        public static let keyMismatch = Kind(rawValue: "key_mismatch")

        // Field level (with a path)
        /// A required field is absent or null.
        public static let missingField = Kind(rawValue: "missing_field")
        /// A field has the wrong JSON type.
        public static let wrongType = Kind(rawValue: "wrong_type")
        /// A date field is not a real calendar date in an accepted form.
        public static let invalidDate = Kind(rawValue: "invalid_date")
        /// An enumerated field has a value outside its set.
        public static let unknownEnum = Kind(rawValue: "unknown_enum")
        /// A required text field is empty after normalisation.
        public static let emptyField = Kind(rawValue: "empty_field")
        /// A code field does not match its format (region: 6 digits, community: 12, …).
        public static let invalidFormat = Kind(rawValue: "invalid_format")
        /// An array has the wrong number of items (`parties` must have 2).
        public static let wrongCount = Kind(rawValue: "wrong_count")
        /// The same person twice in one record (path of the second occurrence).
        public static let duplicatePerson = Kind(rawValue: "duplicate_person")

        // Identity (the detail names the field)
        public static let invalidIDFormat = Kind(rawValue: "invalid_id_format")
        public static let invalidIDChecksum = Kind(rawValue: "invalid_id_checksum")
        public static let legacy15DigitID = Kind(rawValue: "legacy_15_digit_id")
        public static let idBirthDateMismatch = Kind(rawValue: "id_birthdate_mismatch")
        public static let idSexMismatch = Kind(rawValue: "id_sex_mismatch")
        /// `licenseNo` is not 18 letters or digits (the form of a unified social credit code, GB 32100).
        public static let invalidLicenseNo = Kind(rawValue: "invalid_license_no")
    }
}

/// Limits every intake applies before parsing.
public enum RecordLimits {
    /// Records over 1 MiB are dead letters (`record_too_large`).
    public static let maxRecordBytes = 1_048_576
    /// `recordId` and other identifiers longer than this are `invalid_format`.
    public static let maxIdentifierLength = 256
}
