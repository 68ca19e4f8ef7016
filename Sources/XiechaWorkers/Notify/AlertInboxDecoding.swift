import XiechaCore
import XiechaStore

/// Reads what the inbox filters on out of one `xiecha.alerts.v1` message, leaving the payload as published.
///
/// Only the fields the inbox needs are read (alertId, type, status, audience, community, street, raisedAt, dueBy,
/// closedAt), so fields the alerts schema gains later (acknowledgements, notes) pass through to the inbox and the
/// webhooks untouched. A message without them, or not JSON at all, is refused with a reason (a dead letter): the
/// worker never stops on it.
enum AlertInboxDecoding {
    /// The inbox message for `value`, or why it cannot be one.
    static func decode(_ value: [UInt8]?) -> Result<InboxMessage, DeadLetterReason> {
        guard let value, !value.isEmpty else { return .failure(DeadLetterReason(.emptyValue)) }
        guard value.count <= RecordLimits.maxRecordBytes else { return .failure(DeadLetterReason(.recordTooLarge)) }
        let root: JSONValue
        do {
            root = try JSONParser.parse(value)
        } catch {
            return .failure(DeadLetterReason(error.kind == .invalidUTF8 ? .invalidUTF8 : .notJSON, detail: error.message))
        }
        guard case .object(let o) = root else { return .failure(DeadLetterReason(.notObject)) }
        do {
            let alertId = try text(o, "alertId")
            guard alertId.utf8.count <= RecordLimits.maxIdentifierLength else {
                throw DeadLetterReason(.invalidFormat, path: "alertId", detail: "longer than \(RecordLimits.maxIdentifierLength) bytes")
            }
            let type = try text(o, "type")
            let status = try text(o, "status")
            guard status == "open" || status == "closed" else { throw DeadLetterReason(.unknownEnum, path: "status") }
            let audience = try text(o, "audience")
            guard audience == "community" || audience == "street" else { throw DeadLetterReason(.unknownEnum, path: "audience") }
            guard let communityValue = o["community"], case .object(let community) = communityValue else {
                throw o["community"] == nil || o["community"] == .null
                    ? DeadLetterReason(.missingField, path: "community") : DeadLetterReason(.wrongType, path: "community")
            }
            let communityCode = try text(community, "code", path: "community.code")
            var streetCode: String? = nil
            switch o["street"] {
            case nil, .null?: break
            case .object(let street)?: streetCode = try text(street, "code", path: "street.code")
            default: throw DeadLetterReason(.wrongType, path: "street")
            }
            let raisedAt = try instant(o, "raisedAt")
            let dueBy = try instant(o, "dueBy")
            let closedAt = o["closedAt"] == nil || o["closedAt"] == .null ? nil : try instant(o, "closedAt")
            return .success(
                InboxMessage(
                    alertId: alertId, type: type, status: status,
                    routing: InboxRouting(audience: audience, communityCode: communityCode, streetCode: streetCode),
                    raisedAtMs: raisedAt.millisecondsSinceEpoch, dueByMs: dueBy.millisecondsSinceEpoch,
                    closedAtMs: closedAt?.millisecondsSinceEpoch, payload: value))
        } catch let reason as DeadLetterReason {
            return .failure(reason)
        } catch {
            return .failure(DeadLetterReason(.notObject))
        }
    }

    /// A required, non-empty string member.
    private static func text(_ o: JSONObject, _ key: String, path: String? = nil) throws -> String {
        switch o[key] {
        case nil, .null?: throw DeadLetterReason(.missingField, path: path ?? key)
        case .string(let s)?:
            guard !s.isEmpty else { throw DeadLetterReason(.emptyField, path: path ?? key) }
            return s
        default: throw DeadLetterReason(.wrongType, path: path ?? key)
        }
    }

    /// A required ISO-8601 instant with a zone (as the crosscheck writes them).
    private static func instant(_ o: JSONObject, _ key: String) throws -> Timestamp {
        let s = try text(o, key)
        guard let t = Timestamp(iso: s) else { throw DeadLetterReason(.invalidDate, path: key) }
        return t
    }
}
