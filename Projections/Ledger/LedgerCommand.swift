import Crypto
package import Foundation
package import Ledger
package import TallyLMDB
package import TallyStore
package import TallyCore

extension StreamID {
    /// The category of ledger account streams; the only place it is spelled.
    private static let accountCategory = "account"

    /// The stream of ledger account `id`: `account-<id>`.
    package static func account(_ id: String) throws -> StreamID { try StreamID("\(accountCategory)-\(id)") }

    /// The account id of an `account-<id>` stream; `nil` for any other stream.
    package var accountID: String? {
        guard category == Self.accountCategory, rawValue.utf8.count > Self.accountCategory.utf8.count + 1 else {
            return nil
        }
        return String(rawValue.dropFirst(Self.accountCategory.count + 1))
    }
}

/// Who asked for a command and in which conversation; recorded in every event's metadata.
package struct CommandContext: Sendable, Equatable {
    /// The request's correlation id (for example `X-Request-ID`).
    package var correlationID: String?
    /// The id of the event or command that caused this one.
    package var causationID: String?
    /// The authenticated principal, once there is one.
    package var actor: String?

    /// A context with any of its parts.
    package init(correlationID: String? = nil, causationID: String? = nil, actor: String? = nil) {
        self.correlationID = correlationID
        self.causationID = causationID
        self.actor = actor
    }
}

/// A ledger command, ready to run in the log's writer against the ``AccountBalances`` read model.
///
/// ```swift
/// let receipt = try await log.execute(try LedgerCommand(.deposit(account: "a-1", amount: 1250), balances: table))
/// ```
package struct LedgerCommand: CommandHandler {
    /// What is asked.
    package let command: Ledger.Command
    package let commandID: UUID
    package let fingerprint: [UInt8]
    package let context: CommandContext
    private let balances: ProjectionTable
    private let metadata: [UInt8]

    /// Prepares `command` under `commandID` (an `Idempotency-Key`; a new time-ordered one if `nil`).
    ///
    /// - Parameter balances: the table of the inline ``AccountBalances`` projector.
    package init(
        _ command: Ledger.Command, id commandID: UUID? = nil, context: CommandContext = .init(),
        balances: ProjectionTable
    ) throws {
        self.command = command
        self.commandID = commandID ?? UUID.version7()  // time-ordered: the command index grows at its end
        self.context = context
        self.balances = balances
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        fingerprint = Array(SHA256.hash(data: try encoder.encode(command)))
        metadata = Array(
            try encoder.encode(
                EventMetadata(
                    commandId: self.commandID.uuidString.lowercased(), commandType: command.type,
                    correlationId: context.correlationID, causationId: context.causationID, actor: context.actor)))
    }

    package var estimatedBytes: Int { 1024 }

    package func decide(in txn: borrowing WriteTransaction) throws -> AppendRequest? {
        var state: Ledger.State = [:]
        var expectations: [StreamID: ExpectedRevision] = [:]
        for id in Ledger.accounts(touchedBy: command) {
            let row = try AccountBalances.balance(of: id, in: balances, txn: txn)
            state[id] = row?.account
            // The read model is current inside the writer, so these always hold; they make the
            // append refuse loudly should anything ever have written the stream behind its back.
            if let stream = try? StreamID.account(id) {
                expectations[stream] = row.map { .exact($0.revision) } ?? .noStream
            }
        }
        let events = try Ledger.decide(command, state)
        guard !events.isEmpty else { return nil }
        let proposed = try events.map { event in
            try ProposedEvent(
                stream: StreamID.account(event.account), type: event.type, tags: ["account:\(event.account)"],
                data: event.payloadJSON, metadata: metadata)
        }
        return try AppendRequest(events: proposed, expectations: expectations)
    }
}

/// The metadata every ledger event carries.
private struct EventMetadata: Encodable {
    let commandId: String
    let commandType: String
    let correlationId: String?
    let causationId: String?
    let actor: String?
}

extension Ledger.Command {
    /// The command's name, as in `POST /v1/commands/{type}`.
    package var type: String {
        switch self {
        case .openAccount: "openAccount"
        case .deposit: "deposit"
        case .withdraw: "withdraw"
        case .transfer: "transfer"
        case .freeze: "freeze"
        case .unfreeze: "unfreeze"
        case .close: "close"
        }
    }
}

extension LedgerCommand {
    /// Routes the ledger's command type names (``Ledger/Command/type``) and JSON bodies to commands:
    /// `openAccount {"id","owner","currency","overdraftLimit"}` (limit optional, default 0),
    /// `deposit`/`withdraw {"account","amount"}`, `transfer {"from","to","amount"}`,
    /// `freeze`/`unfreeze`/`close {"account"}`. Unknown members are refused.
    package static let router = CommandRouter<Ledger.Command>([
        "openAccount": { body in
            let open = try decode(OpenAccountBody.self, body)
            return .openAccount(
                id: open.id, owner: open.owner, currency: open.currency, overdraftLimit: open.overdraftLimit ?? 0)
        },
        "deposit": { body in
            let movement = try decode(MovementBody.self, body)
            return .deposit(account: movement.account, amount: movement.amount)
        },
        "withdraw": { body in
            let movement = try decode(MovementBody.self, body)
            return .withdraw(account: movement.account, amount: movement.amount)
        },
        "transfer": { body in
            let transfer = try decode(TransferBody.self, body)
            return .transfer(from: transfer.from, to: transfer.to, amount: transfer.amount)
        },
        "freeze": { body in .freeze(account: try decode(AccountBody.self, body).account) },
        "unfreeze": { body in .unfreeze(account: try decode(AccountBody.self, body).account) },
        "close": { body in .close(account: try decode(AccountBody.self, body).account) },
    ])

    /// Decodes `body` as `T`, refusing members `T` does not name (a typo must not pass silently).
    private static func decode<T: Decodable & KnownMembers>(_: T.Type, _ body: [UInt8]) throws -> T {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body), options: .fragmentsAllowed)
        } catch {
            // Syntax is checked before a body gets here; what remains is e.g. a number out of range.
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw CommandBodyError.unreadable(reason ?? "The body is not valid JSON.")
        }
        guard let members = object as? [String: Any] else { throw CommandBodyError.notAnObject }
        if let unknown = members.keys.sorted().first(where: { !T.members.contains($0) }) {
            throw CommandBodyError.unknownMember(unknown)
        }
        return try JSONDecoder().decode(T.self, from: Data(body))
    }
}

/// Why a command body was refused.
package enum CommandBodyError: Error, Equatable {
    /// The body is not a JSON object.
    case notAnObject
    /// The body names a member the command does not have.
    case unknownMember(String)
    /// The body cannot be read as JSON values (e.g. a number beyond any Swift number); says why.
    case unreadable(String)
}

/// A body type that lists the members it accepts.
private protocol KnownMembers {
    static var members: Set<String> { get }
}

private struct OpenAccountBody: Decodable, KnownMembers {
    static let members: Set<String> = ["id", "owner", "currency", "overdraftLimit"]
    let id: String
    let owner: String
    let currency: String
    let overdraftLimit: Int64?
}

private struct MovementBody: Decodable, KnownMembers {
    static let members: Set<String> = ["account", "amount"]
    let account: String
    let amount: Int64
}

private struct TransferBody: Decodable, KnownMembers {
    static let members: Set<String> = ["from", "to", "amount"]
    let from: String
    let to: String
    let amount: Int64
}

private struct AccountBody: Decodable, KnownMembers {
    static let members: Set<String> = ["account"]
    let account: String
}
