import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TallyCore
import TallyStore

extension TallyAPI {
    /// `POST /v1/erasures` (role `admin`): erase the data of given events, for example everything a
    /// data subject asked to be forgotten. The events keep their place and Merkle leaf; the erasure
    /// itself is appended to `$erasures` with the reason and the key that asked.
    func addErasureRoutes(to router: Router<TallyRequestContext>) {
        add(.post, "/v1/erasures", to: router, permission: .eraseEvents, waitsForWriter: true) { request, context in
            let body = try await body(of: request)
            let fields: ErasureBody
            do {
                fields = try JSONDecoder().decode(ErasureBody.self, from: Data(body))
            } catch {
                throw AppendBody.invalid("/", ErasureBody.shape)
            }
            var metadata = JSONWriter()
            metadata.object { json in
                json.member("correlationId", string: context.requestID)
                if let actor = context.actor { json.member("actor", string: actor) }
            }
            let erasure: ErasureRequest
            do {
                erasure = try ErasureRequest(
                    positions: fields.positions, fields: fields.fields, reason: fields.reason,
                    metadata: metadata.bytes)
            } catch let error as InvalidErasure {
                throw AppendBody.invalid("/", error.message)
            }
            let result = try await log.erase(erasure)
            if let receipt = result.receipt {
                context.logger.notice(
                    "Erased event data",
                    metadata: [
                        "erasure.position": "\(receipt.events.first?.position ?? 0)",
                        "erasure.events": "\(result.erased.count)",
                    ])
            }
            var json = JSONWriter()
            json.object { json in
                json.key("erasure")
                if let receipt = result.receipt {
                    json.object { json in writeReceipt(receipt, into: &json) }
                } else {
                    json.null()
                }
                json.key("erased")
                json.array { json in for position in result.erased { json.integer(position) } }
                json.key("unchanged")
                json.array { json in for position in result.unchanged { json.integer(position) } }
            }
            return self.json(json.bytes, status: result.receipt == nil ? .ok : .created)
        }
    }
}

/// The body of `POST /v1/erasures`.
private struct ErasureBody: Decodable {
    static let shape =
        #"must be {"positions": [<position>, …], "fields": ["<member>", …] (optional: all the data if absent), "reason": "<why>"}"#
    let positions: [UInt64]
    let fields: [String]?
    let reason: String
}
