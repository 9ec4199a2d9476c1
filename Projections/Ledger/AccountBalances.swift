import Foundation
package import Ledger

package import TallyLMDB
package import TallyStore

/// One account's row in the balances read model: what the ledger's rules need, and where it stands.
package struct AccountBalance: Sendable, Equatable {
    package let id: String
    /// Who holds the account; `nil` once erased.
    package let owner: String?
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

    package func prepare(_ events: [RecordedEvent]) throws -> [DecodedLedgerEvent] {
        try DecodedLedgerEvent.decoding(events)
    }

    package func apply(_ events: [DecodedLedgerEvent], to table: ProjectionTable, in txn: borrowing WriteTransaction)
        throws
    {
        var changed: [String: AccountBalance] = [:]  // the page's rows, folded in memory, written once
        for decoded in events {
            let (event, ledgerEvent) = (decoded.recorded, decoded.event)
            let id = ledgerEvent.account
            let current = try changed[id] ?? Self.balance(of: id, in: table, txn: txn)
            guard let account = Ledger.evolve(current?.account, ledgerEvent) else {
                throw LedgerProjectionError.eventForUnknownAccount(id)
            }
            changed[id] = AccountBalance(
                id: account.id, owner: account.owner, currency: account.currency,
                overdraftLimit: account.overdraftLimit, balance: account.balance, status: account.status,
                revision: event.revision, position: event.position)
        }
        for (id, row) in changed { try table.put(row.stored, forKey: Array(id.utf8), in: txn) }
    }

    /// Skipping an event moves the account's row to the event's revision and position, unchanged
    /// otherwise, so commands on the account (which expect the row's revision) can run again.
    package func skip(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {
        guard let id = event.stream.accountID, let row = try Self.balance(of: id, in: table, txn: txn) else { return }
        let moved = AccountBalance(
            id: row.id, owner: row.owner, currency: row.currency, overdraftLimit: row.overdraftLimit,
            balance: row.balance, status: row.status, revision: event.revision, position: event.position)
        try table.put(moved.stored, forKey: Array(id.utf8), in: txn)
    }

    /// An erased opening forgets the account's owner; the ledger keeps no other personal data, and
    /// refuses the erasure of anything else it needs (``Ledger/Event/init(afterErasureOf:)``).
    package func forget(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {
        guard case .accountOpened(let opening) = try Ledger.Event(afterErasureOf: event), opening.owner == nil,
            let row = try Self.balance(of: opening.account, in: table, txn: txn)
        else { return }
        let forgotten = AccountBalance(
            id: row.id, owner: nil, currency: row.currency, overdraftLimit: row.overdraftLimit, balance: row.balance,
            status: row.status, revision: row.revision, position: row.position)
        try table.put(forgotten.stored, forKey: Array(row.id.utf8), in: txn)
    }

    /// The row of account `id`, or `nil` if it has never been opened.
    package static func balance(of id: String, in table: ProjectionTable, txn: borrowing some Transaction & ~Copyable)
        throws -> AccountBalance?
    {
        try table.value(forKey: Array(id.utf8), in: txn).map(AccountBalance.init(stored:))
    }

    /// Up to `limit` accounts whose ids start with `prefix`, after the id `after`, in id order.
    package static func balances(
        prefix: String = "", after: String? = nil, limit: Int, in table: ProjectionTable,
        txn: borrowing some Transaction & ~Copyable
    ) throws -> [AccountBalance] {
        try table.scan(prefix: Array(prefix.utf8), after: after.map { Array($0.utf8) }, limit: limit, in: txn).map {
            try AccountBalance(stored: $0.value)
        }
    }
}

extension AccountBalance {
    /// The row as stored (version 1): id, owner (empty once erased; owners are never empty) and currency as text, then overdraft limit and
    /// balance (i64), status (u8: 0 active, 1 frozen, 2 closed), revision and position (u64).
    /// Binary rather than JSON: commands read a row and the projector rewrites it on every event,
    /// and JSON coding was measured as the writer's largest cost.
    var stored: [UInt8] {
        var row = ByteWriter(capacity: 2 * 3 + id.utf8.count + (owner?.utf8.count ?? 0) + currency.utf8.count + 33)
        row.text(id)
        row.text(owner ?? "")
        row.text(currency)
        row.write(overdraftLimit)
        row.write(balance)
        row.write(UInt8(status == .active ? 0 : status == .frozen ? 1 : 2))
        row.write(revision)
        row.write(position)
        return row.bytes
    }

    /// Reads a row written by ``stored``.
    ///
    /// - Throws: ``RowError/damaged`` if the bytes are not such a row.
    init(stored bytes: [UInt8]) throws {
        var row = RowReader(bytes)
        let id = try row.text()
        let owner = try row.text().nonEmpty
        let currency = try row.text()
        let overdraftLimit = try row.integer(Int64.self)
        let balance = try row.integer(Int64.self)
        let status: Ledger.Account.Status
        switch try row.integer(UInt8.self) {
        case 0: status = .active
        case 1: status = .frozen
        case 2: status = .closed
        default: throw RowError.damaged
        }
        let revision = try row.integer(UInt64.self)
        let position = try row.integer(UInt64.self)
        try row.finish()
        self.init(
            id: id, owner: owner, currency: currency, overdraftLimit: overdraftLimit, balance: balance, status: status,
            revision: revision, position: position)
    }
}
