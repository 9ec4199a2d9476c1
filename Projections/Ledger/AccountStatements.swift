import Foundation
import Ledger
package import TallyLMDB
package import TallyStore

/// One line of an account's statement: a movement of money and the balance after it.
package struct StatementEntry: Sendable, Equatable {
    /// What moved the money.
    package enum Kind: UInt8, Sendable {
        case deposit = 0, withdrawal, transferIn, transferOut
    }

    /// The account's stream revision of the event.
    package let revision: UInt64
    /// The event's log position.
    package let position: UInt64
    /// When the event was recorded.
    package let recordedAt: Timestamp
    package let kind: Kind
    /// The change to the balance: positive in, negative out (minor units).
    package let amount: Int64
    /// The balance right after this entry.
    package let balanceAfter: Int64
    /// The other account of a transfer.
    package let counterparty: String?
}

/// Read model (async): every account's statement — each movement with its running balance,
/// paged by account and revision.
///
/// Layout: `<account> ‖ 0x00 ‖ revision (u64)` → entry; `<account> ‖ 0x01` → running balance (i64).
package struct AccountStatements: Projector {
    package let name = "account-statements"
    package let version: Int
    package let eventTypes: Set<String> = ["deposited", "withdrawn", "transferDebited", "transferCredited"]

    /// The projector at `version` (bump it to rebuild the read model from the log).
    package init(version: Int = 1) { self.version = version }

    /// Holds no personal data (only amounts, counterparties and running balances): nothing to forget, but the erased event must still
    /// fold (``Ledger/Event/init(afterErasureOf:)``).
    package func forget(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {
        _ = try Ledger.Event(afterErasureOf: event)
    }

    package func prepare(_ events: [RecordedEvent]) throws -> [DecodedLedgerEvent] {
        try DecodedLedgerEvent.decoding(events)
    }

    package func apply(_ events: [DecodedLedgerEvent], to table: ProjectionTable, in txn: borrowing WriteTransaction)
        throws
    {
        var balances: [String: Int64] = [:]  // running balances of the page's accounts, written once
        for decoded in events {
            let (event, ledgerEvent) = (decoded.recorded, decoded.event)
            let (kind, amount, counterparty): (StatementEntry.Kind, Int64, String?)
            switch ledgerEvent {
            case .deposited(let movement): (kind, amount, counterparty) = (.deposit, movement.amount, nil)
            case .withdrawn(let movement): (kind, amount, counterparty) = (.withdrawal, -movement.amount, nil)
            case .transferDebited(let leg): (kind, amount, counterparty) = (.transferOut, -leg.amount, leg.counterparty)
            case .transferCredited(let leg): (kind, amount, counterparty) = (.transferIn, leg.amount, leg.counterparty)
            case .accountOpened, .accountFrozen, .accountUnfrozen, .accountClosed: continue
            }
            let account = ledgerEvent.account
            let before = try balances[account] ?? Self.runningBalance(of: account, in: table, txn: txn)
            let (after, overflow) = before.addingReportingOverflow(amount)
            guard !overflow else { throw LedgerProjectionError.balanceOverflow(account) }
            balances[account] = after
            // Each buffer sized once: a million entries in a rebuild.
            var entry = ByteWriter(capacity: 35 + (counterparty?.utf8.count ?? 0))
            entry.write(event.position)
            entry.write(event.recordedAt.microsecondsSince1970)
            entry.write(kind.rawValue)
            entry.write(amount)
            entry.write(after)
            entry.text(counterparty ?? "")
            var key = ByteWriter(capacity: account.utf8.count + 9)
            key.write(account.utf8)
            key.write(UInt8(0))
            key.write(event.revision)
            try table.put(entry.bytes, forKey: key.bytes, in: txn)
        }
        for (account, balance) in balances {
            var row = ByteWriter()
            row.write(balance)
            try table.put(row.bytes, forKey: Array(account.utf8) + [1], in: txn)
        }
    }

    /// The balance after `account`'s last statement entry (0 before the first).
    private static func runningBalance(
        of account: String, in table: ProjectionTable, txn: borrowing some Transaction & ~Copyable
    ) throws -> Int64 {
        guard let bytes = try table.value(forKey: Array(account.utf8) + [1], in: txn) else { return 0 }
        var row = RowReader(bytes)
        let balance = try row.integer(Int64.self)
        try row.finish()
        return balance
    }

    /// Up to `limit` entries of `account`'s statement, oldest first, after revision `after`.
    package static func entries(
        of account: String, after revision: UInt64? = nil, limit: Int, in table: ProjectionTable,
        txn: borrowing some Transaction & ~Copyable
    ) throws -> [StatementEntry] {
        let prefix = Array(account.utf8) + [0]
        let after = revision.map { prefix + $0.bigEndianBytes }
        return try table.scan(prefix: prefix, after: after, limit: limit, in: txn).map { key, value in
            var revisionReader = RowReader(Array(key[prefix.count...]))
            var row = RowReader(value)
            let revision = try revisionReader.integer(UInt64.self)
            let position = try row.integer(UInt64.self)
            let recordedAt = Timestamp(microsecondsSince1970: try row.integer(Int64.self))
            guard let kind = StatementEntry.Kind(rawValue: try row.integer(UInt8.self)) else { throw RowError.damaged }
            let amount = try row.integer(Int64.self)
            let balanceAfter = try row.integer(Int64.self)
            let counterparty = try row.text()
            try row.finish()
            return StatementEntry(
                revision: revision, position: position, recordedAt: recordedAt, kind: kind, amount: amount,
                balanceAfter: balanceAfter, counterparty: counterparty.isEmpty ? nil : counterparty)
        }
    }
}
