/// Reads the fields of one JSON object, turning every problem into a `DeadLetterReason` with
/// the field's JSON path. A JSON `null` counts as absent. Paths are built only on failure.
public struct FieldReader: Sendable {
    public let object: JSONObject
    /// Path of this object from the record root (`""` for the root, `person`, `parties[1]`).
    public let path: String

    public init(object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// The record root: it must be an object.
    public init(root: JSONValue) throws(DeadLetterReason) {
        guard case .object(let o) = root else {
            throw DeadLetterReason(.notObject, detail: "the record is a JSON \(root.typeName), not an object")
        }
        self.init(object: o, path: "")
    }

    /// An array item that must be an object.
    public init(item: JSONValue, path: String) throws(DeadLetterReason) {
        guard case .object(let o) = item else {
            throw DeadLetterReason(.wrongType, path: path, detail: "expected an object")
        }
        self.init(object: o, path: path)
    }

    @inline(__always) public func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member, with `null` reported as absent.
    @inline(__always) public func value(_ key: String) -> JSONValue? {
        switch object[key] {
        case .none, .some(.null): return nil
        case .some(let v): return v
        }
    }

    func missing(_ key: String) -> DeadLetterReason {
        DeadLetterReason(.missingField, path: path(key), detail: "required field is missing or null")
    }

    func wrongType(_ key: String, _ expected: String, _ got: JSONValue) -> DeadLetterReason {
        DeadLetterReason(.wrongType, path: path(key), detail: "expected \(expected), got \(got.typeName)")
    }

    public func optionalString(_ key: String) throws(DeadLetterReason) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw wrongType(key, "string", v) }
        return s
    }

    public func string(_ key: String) throws(DeadLetterReason) -> String {
        guard let s = try optionalString(key) else { throw missing(key) }
        return s
    }

    /// A required code or number, width-normalised and trimmed; must not be empty.
    public func code(_ key: String, maxLength: Int = RecordLimits.maxIdentifierLength) throws(DeadLetterReason)
        -> String
    {
        let s = TextNormalisation.code(try string(key))
        guard !s.isEmpty else { throw DeadLetterReason(.emptyField, path: path(key), detail: "empty after trimming") }
        guard s.utf8.count <= maxLength else {
            throw DeadLetterReason(.invalidFormat, path: path(key), detail: "longer than \(maxLength) bytes")
        }
        return s
    }

    /// A required free text (name, office), name-normalised; must not be empty.
    public func text(_ key: String) throws(DeadLetterReason) -> String {
        let s = TextNormalisation.name(try string(key))
        guard !s.isEmpty else { throw DeadLetterReason(.emptyField, path: path(key), detail: "empty after trimming") }
        return s
    }

    /// A code of exactly `digits` ASCII digits after normalisation.
    public func digits(_ key: String, count: Int) throws(DeadLetterReason) -> String {
        let s = TextNormalisation.code(try string(key))
        guard s.utf8.count == count, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw DeadLetterReason(.invalidFormat, path: path(key), detail: "expected \(count) digits")
        }
        return s
    }

    public func optionalDate(_ key: String) throws(DeadLetterReason) -> LocalDate? {
        guard let s = try optionalString(key) else { return nil }
        guard let d = DateNormalisation.parse(s) else {
            throw DeadLetterReason(.invalidDate, path: path(key), detail: "not a real date as YYYY-MM-DD")
        }
        return d
    }

    public func date(_ key: String) throws(DeadLetterReason) -> LocalDate {
        guard let d = try optionalDate(key) else { throw missing(key) }
        return d
    }

    public func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type = E.self)
        throws(DeadLetterReason) -> E where E.RawValue == String
    {
        let s = try string(key)
        guard let e = E(rawValue: s) else {
            throw DeadLetterReason(
                .unknownEnum, path: path(key),
                detail: "expected one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return e
    }

    public func optionalObject(_ key: String) throws(DeadLetterReason) -> FieldReader? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw wrongType(key, "object", v) }
        return FieldReader(object: o, path: path(key))
    }

    public func object(_ key: String) throws(DeadLetterReason) -> FieldReader {
        guard let r = try optionalObject(key) else { throw missing(key) }
        return r
    }

    public func array(_ key: String) throws(DeadLetterReason) -> [JSONValue] {
        guard let v = value(key) else { throw missing(key) }
        guard case .array(let a) = v else { throw wrongType(key, "array", v) }
        return a
    }

    /// Path of item `index` of array `key`.
    public func itemPath(_ key: String, _ index: Int) -> String { path(key) + "[" + String(index) + "]" }
}
