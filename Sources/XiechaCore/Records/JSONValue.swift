/// A parsed JSON document: the lightweight value tree Xiecha's own parser produces.
///
/// Foundation's `JSONSerialization`/`JSONDecoder` on Linux cost tens of microseconds per
/// record; intake must handle ≥ 100,000 records/s per process, so records are parsed with
/// `JSONParser` into this tree and read field by field (`FieldReader`).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name used in diagnostics (`string`, `object`, …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The string payload, or `nil` for other types.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object payload, or `nil` for other types.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Looks up `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

/// A JSON object with its members in document order. Small objects are searched linearly,
/// which beats hashing for the handful of fields a record has. A repeated key: the last wins.
public struct JSONObject: Sendable, Hashable {
    public var keys: [String]
    public var values: [JSONValue]

    public init() {
        keys = []
        values = []
    }

    public init(_ members: [(String, JSONValue)]) {
        keys = members.map(\.0)
        values = members.map(\.1)
    }

    public var count: Int { keys.count }

    public subscript(key: String) -> JSONValue? {
        var i = keys.count - 1
        while i >= 0 {
            if keys[i] == key { return values[i] }
            i -= 1
        }
        return nil
    }

    public mutating func append(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }
}
