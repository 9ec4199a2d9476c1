import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerProjection
import TallyCore
import TallyStore

extension TallyAPI {
    /// `POST /v1/commands/{type}`: decide a ledger command and append what it decides.
    func addCommandRoutes(to router: Router<TallyRequestContext>) {
        add(.post, "/v1/commands/{type}", to: router, permission: .submitCommands, waitsForWriter: true) {
            request, context in
            let type = try parameter("type", of: context)
            let body = try await body(of: request)
            do {
                try JSONValidator.validate(body, as: .data)
            } catch {
                throw Problem.invalidBody(error)
            }
            let command = try LedgerCommand.router.command(type: type, body: body)
            let commandID = try idempotencyKey(of: request)
            let handler = try LedgerCommand(
                command, id: commandID,
                context: CommandContext(correlationID: context.requestID, actor: context.actor), balances: balances)
            let receipt = try await log.execute(handler)
            var json = JSONWriter()
            json.object { json in
                json.member("commandId", string: handler.commandID.uuidString.lowercased())
                json.member("commandType", string: type)
                writeReceipt(receipt, into: &json)
            }
            var headers = HTTPFields()
            if receipt.isReplay { headers[.idempotentReplayed] = "true" }
            return self.json(
                json.bytes, status: receipt.events.isEmpty || receipt.isReplay ? .ok : .created, headers: headers)
        }
    }

    /// The command id from `Idempotency-Key`: a UUID as given, or any other key (1–255 visible
    /// ASCII characters) hashed into one, so a retry with the same key is the same command.
    private func idempotencyKey(of request: Request) throws -> UUID? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        if let uuid = UUID(uuidString: key) { return uuid }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            var problem = Problem(
                "invalid-idempotency-key", "The Idempotency-Key is not valid", .badRequest,
                detail: "Use a UUID or 1–255 visible ASCII characters.")
            problem.extend("header", string: "Idempotency-Key")
            throw problem
        }
        var bytes = Array(SHA256.hash(data: Array("tally-idempotency-key:\(key)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: custom, name-based
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    /// Writes an append's receipt members and its events as the writer stored them.
    func writeReceipt(_ receipt: AppendReceipt, into json: inout JSONWriter) {
        json.member("replayed", bool: receipt.isReplay)
        json.key("positions")
        if let positions = receipt.positions {
            json.object { json in
                json.member("first", integer: positions.lowerBound)
                json.member("last", integer: positions.upperBound)
            }
        } else {
            json.null()
        }
        json.key("streamRevisions")
        json.object { json in
            for (stream, revision) in receipt.streamRevisions.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                json.member(stream.rawValue, integer: revision)
            }
        }
        json.key("checkpoint")
        json.write(receipt.checkpoint)
        json.key("events")
        json.array { json in for event in receipt.events { json.write(event) } }
    }
}

extension HTTPField.Name {
    /// `Idempotent-Replayed: true` marks the original answer to a retried command.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
