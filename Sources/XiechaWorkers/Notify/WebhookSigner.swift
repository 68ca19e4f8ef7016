import Crypto
import Foundation

/// Signs a webhook request as Standard Webhooks do: `webhook-signature` is `v1,` + base64 of HMAC-SHA256 over
/// `id.timestamp.body` with the endpoint's secret, so the receiver can check who sent the body, that nothing changed it,
/// and (from the timestamp) that it is not an old request replayed.
public struct WebhookSigner: Sendable {
    /// The key's bytes (`SymmetricKey` is not `Sendable`; making one per request costs next to nothing).
    private let key: [UInt8]

    /// A signer for `secret`: `whsec_` + base64 is Standard Webhooks' form (the key is the decoded bytes); any other
    /// text is used as the key's UTF-8 bytes. `nil` for a `whsec_` secret that is not base64.
    public init?(secret: String) {
        if secret.hasPrefix("whsec_") {
            guard let bytes = Data(base64Encoded: String(secret.dropFirst("whsec_".count))), !bytes.isEmpty else { return nil }
            key = Array(bytes)
        } else {
            guard !secret.isEmpty else { return nil }
            key = Array(secret.utf8)
        }
    }

    /// The `webhook-signature` header value of a request with `webhook-id` `id`, `webhook-timestamp` `timestamp`
    /// (Unix seconds) and body `body`.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: key))
        mac.update(data: Array("\(id).\(timestamp).".utf8))
        mac.update(data: body)
        return "v1," + Data(mac.finalize()).base64EncodedString()
    }
}
