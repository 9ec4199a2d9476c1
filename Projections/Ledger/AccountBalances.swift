import Foundation
package import Ledger
import TallyCore
package import TallyLMDB
package import TallyStore

/// One account's row in the balances read model: what the ledger's rules need, and where it stands.
package struct AccountBalance: Codable, Sendable, Equatable {
    package let id: String
    package let owner: String
    package let currency: String
    package let overdraftLimit: Int64
    /// The balance in the currency's minor units.
    package let balance: Int64
    package let status: Ledger.Account.Status
    /// The revision of the account's stream after its last event.
    package let revision: UInt64
    /// The log position of the account's last event.
    package let position: UInt64

    /// The account as ``Ledger`` decides on it.
    package var account: Ledger.Account {
        Ledger.Account(
            id: id, owner: owner, currency: currency, overdraftLimit: overdraftLimit, balance: balance, status: status)
    }
}

/// Read model (inline): every account's current balance, currency, status and stream revision.
///
/// It runs in the append's transaction, so it is exactly as current as the log, and it is the
/// state ledger commands decide from: deciding never folds a stream's history.
package struct AccountBalances: Projector {
    package let name = "account-balances"
    package let version: Int
    package let eventTypes = Set(Ledger.Event.typeNames)

    /// The projector at `version` (bump it to rebuild the read model from the log).
    package init(version: Int = 1) { self.version = version }

    package func apply(_ event: RecordedEvent, to table: ProjectionTable, in txn: borrowing WriteTransaction) throws {
        guard let ledgerEvent = try Ledger.Event(type: event.type, payload: JSONPayload(event.data)) else { return }
        let key = Array(ledgerEvent.account.utf8)
        let current = try table.value(forKey: key, in: txn).map {
            try JSONDecoder().decode(AccountBalance.self, from: Data($0))
        }
        let before: Ledger.State = current.map { [$0.id: $0.account] } ?? [:]
        guard let account = Ledger.evolve(before, ledgerEvent)[ledgerEvent.account] else {
            throw AccountBalancesError.eventForUnknownAccount(ledgerEvent.account)
        }
        let row = AccountBalance(
            id: account.id, owner: account.owner, currency: account.currency, overdraftLimit: account.overdraftLimit,
            balance: account.balance, status: account.status, revision: event.revision, position: event.position)
        try table.put(try Self.encoder.encode(row).bytes, forKey: key, in: txn)
    }

    /// The row of account `id`, or `nil` if it has never been opened.
    package static func balance(of id: String, in table: ProjectionTable, txn: borrowing some Transaction & ~Copyable)
        throws -> AccountBalance?
    {
        try table.value(forKey: Array(id.utf8), in: txn).map {
            try JSONDecoder().decode(AccountBalance.self, from: Data($0))
        }
    }

    /// Up to `limit` accounts whose ids start with `prefix`, after the id `after`, in id order.
    package static func balances(
        prefix: String = "", after: String? = nil, limit: Int, in table: ProjectionTable,
        txn: borrowing some Transaction & ~Copyable
    ) throws -> [AccountBalance] {
        try table.scan(prefix: Array(prefix.utf8), after: after.map { Array($0.utf8) }, limit: limit, in: txn).map {
            try JSONDecoder().decode(AccountBalance.self, from: Data($0.value))
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// Why ``AccountBalances`` could not apply an event.
package enum AccountBalancesError: Error, Equatable {
    /// A ledger event names an account that was never opened.
    case eventForUnknownAccount(String)
}

/// Decodes a stored JSON payload for a domain's event decoder.
struct JSONPayload: PayloadDecoder {
    let bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(bytes)) }
}

extension Data {
    var bytes: [UInt8] { [UInt8](self) }
}
