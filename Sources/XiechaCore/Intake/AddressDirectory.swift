/// The address directory (以房管人): which community and street office serve each house,
/// built from the compacted `ref.address-directory.v1` topic.
public struct AddressDirectory: Sendable, Hashable {
    public private(set) var entries: [String: AddressDirectoryEntry]

    public init(_ entries: [AddressDirectoryEntry] = []) {
        self.entries = [:]
        self.entries.reserveCapacity(entries.count)
        for e in entries { self.entries[e.houseId] = e }
    }

    public var count: Int { entries.count }

    public subscript(houseId: String) -> AddressDirectoryEntry? { entries[TextNormalisation.code(houseId)] }

    public mutating func upsert(_ entry: AddressDirectoryEntry) { entries[entry.houseId] = entry }

    @discardableResult
    public mutating func remove(houseId: String) -> AddressDirectoryEntry? {
        entries.removeValue(forKey: TextNormalisation.code(houseId))
    }

    public mutating func apply(_ update: AddressDirectoryUpdate) {
        switch update {
        case .upsert(let e): upsert(e)
        case .remove(let h): remove(houseId: h)
        }
    }

    /// Decodes one message of `ref.address-directory.v1` and applies it; returns the reason
    /// when the message is a dead letter (and leaves the directory unchanged).
    @discardableResult
    public mutating func apply(key: String?, value: [UInt8]?) -> DeadLetterReason? {
        switch AddressDirectory.decodeUpdate(key: key, value: value) {
        case .success(let u):
            apply(u)
            return nil
        case .failure(let r):
            return r
        }
    }

    /// Where a house is served from. A house missing from the directory resolves to the
    /// jurisdiction's `unassigned` queue with no street (DESIGN.md "Rules").
    public func resolve(houseId: String) -> Residence {
        if let e = entries[houseId] ?? entries[TextNormalisation.code(houseId)] {
            return Residence(houseId: e.houseId, community: e.community, street: e.street)
        }
        return Residence(houseId: houseId, community: .unassigned, street: nil)
    }

    /// One message of the compacted topic: a null value (tombstone) removes the house named by
    /// the key; otherwise the value is an entry whose `houseId` must agree with the key (when
    /// there is one).
    public static func decodeUpdate(key: String?, value: [UInt8]?) -> Result<AddressDirectoryUpdate, DeadLetterReason> {
        let normalisedKey = key.map(TextNormalisation.code)
        guard let value else {
            guard let k = normalisedKey, !k.isEmpty else {
                return .failure(DeadLetterReason(.missingKey, detail: "a tombstone needs the houseId as its key"))
            }
            return .success(.remove(houseId: k))
        }
        do {
            let root = try value.withUnsafeBufferPointer { (b) throws(DeadLetterReason) -> JSONValue in
                try RecordDecoder.parseRoot(b)
            }
            let entry = try RecordDecoder.addressDirectoryEntry(FieldReader(root: root))
            if let k = normalisedKey, !k.isEmpty, k != entry.houseId {
                return .failure(DeadLetterReason(.keyMismatch, detail: "message key differs from houseId"))
            }
            return .success(.upsert(entry))
        } catch {
            return .failure(error)
        }
    }
}

/// One change to the address directory.
public enum AddressDirectoryUpdate: Sendable, Hashable {
    case upsert(AddressDirectoryEntry)
    /// A tombstone.
    case remove(houseId: String)
}
