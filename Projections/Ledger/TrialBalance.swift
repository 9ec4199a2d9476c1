import Foundation
import Ledger
package import TallyLMDB
package import TallyStore

/// The ledger's totals in one currency. Money moves only by deposits and withdrawals; transfers
/// move it between accounts, so `balances == deposits − withdrawals` always holds.
package struct CurrencyTotals: Sendable, Equatable {
    package let currency: String
    /// Every deposit, in minor units.
    package let deposits: Int64
    /// Every withdrawal, in minor units.
    package let withdrawals: Int64
    /// The sum of every account's balance.
    package let balances: Int64
    /// How many accounts were opened in this currency.
    package let accounts: Int64
}

/// Read model (async): the trial balance — per currency, total deposits, withdrawals, the sum of
/// balances and the number of accounts.
///
/// Layout: `c:<currency>` → totals (four i64); `a:<account>` → the account's currency (text).
package struct TrialBalance: Projector {
    package let name = "trial-balance"
    package let version: Int
    package let eventTypes: Set<String> = [
        "accountOpened", "deposited", "withdrawn", "transferDebited", "transferCredited",
    ]

    /// The projector at `version` (bump it to rebuild the read model from the log).
    package init(version: Int = 1) { self.version = version }

    /// Holds no personal data (only currencies and totals): nothing to forget, but the erased event must still
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
        // The page folded in memory: accounts' currencies (opened now, or read once) and totals.
        var currencies: [String: String] = [:]
        var opened: [String: String] = [:]
        var changed: [String: CurrencyTotals] = [:]
        for ledgerEvent in events.lazy.map(\.event) {
            let account = ledgerEvent.account
            let currency: String
            if case .accountOpened(let opening) = ledgerEvent {
                currency = opening.currency
                opened[account] = currency
            } else if let known = currencies[account] {
                currency = known
            } else {
                guard let stored = try table.value(forKey: Array("a:\(account)".utf8), in: txn) else {
                    throw LedgerProjectionError.eventForUnknownAccount(account)
                }
                var row = RowReader(stored)
                currency = try row.text()
            }
            currencies[account] = currency
            let totals =
                try changed[currency] ?? Self.totals(of: currency, in: table, txn: txn)
                ?? CurrencyTotals(currency: currency, deposits: 0, withdrawals: 0, balances: 0, accounts: 0)
            switch ledgerEvent {
            case .accountOpened: changed[currency] = try totals.adding(accounts: 1)
            case .deposited(let movement):
                changed[currency] = try totals.adding(deposits: movement.amount, balances: movement.amount)
            case .withdrawn(let movement):
                changed[currency] = try totals.adding(withdrawals: movement.amount, balances: -movement.amount)
            case .transferDebited(let leg): changed[currency] = try totals.adding(balances: -leg.amount)
            case .transferCredited(let leg): changed[currency] = try totals.adding(balances: leg.amount)
            case .accountFrozen, .accountUnfrozen, .accountClosed: continue
            }
        }
        for (account, currency) in opened {
            var row = ByteWriter()
            row.text(currency)
            try table.put(row.bytes, forKey: Array("a:\(account)".utf8), in: txn)
        }
        for (currency, totals) in changed {
            var row = ByteWriter()
            for value in [totals.deposits, totals.withdrawals, totals.balances, totals.accounts] { row.write(value) }
            try table.put(row.bytes, forKey: Array("c:\(currency)".utf8), in: txn)
        }
    }

    /// The totals of `currency`, or `nil` if no account uses it.
    package static func totals(
        of currency: String, in table: ProjectionTable, txn: borrowing some Transaction & ~Copyable
    )
        throws -> CurrencyTotals?
    {
        try table.value(forKey: Array("c:\(currency)".utf8), in: txn).map { try decode(currency, $0) }
    }

    /// The totals of every currency, in code order.
    package static func allTotals(in table: ProjectionTable, txn: borrowing some Transaction & ~Copyable) throws
        -> [CurrencyTotals]
    {
        try totals(limit: .max, in: table, txn: txn)
    }

    /// Up to `limit` currencies' totals whose codes start with `prefix`, after the code `after`, in code order.
    package static func totals(
        prefix: String = "", after: String? = nil, limit: Int, in table: ProjectionTable,
        txn: borrowing some Transaction & ~Copyable
    ) throws -> [CurrencyTotals] {
        let keyPrefix = Array("c:".utf8)
        return try table.scan(
            prefix: keyPrefix + Array(prefix.utf8), after: after.map { keyPrefix + Array($0.utf8) }, limit: limit,
            in: txn
        ).map { key, value in
            try decode(String(decoding: key.dropFirst(keyPrefix.count), as: UTF8.self), value)
        }
    }

    private static func decode(_ currency: String, _ bytes: [UInt8]) throws -> CurrencyTotals {
        var row = RowReader(bytes)
        let totals = CurrencyTotals(
            currency: currency, deposits: try row.integer(Int64.self), withdrawals: try row.integer(Int64.self),
            balances: try row.integer(Int64.self), accounts: try row.integer(Int64.self))
        try row.finish()
        return totals
    }
}

extension CurrencyTotals {
    /// These totals plus the given amounts.
    ///
    /// - Throws: ``LedgerProjectionError/totalOverflow(_:)`` if a total would leave `Int64`.
    fileprivate func adding(deposits: Int64 = 0, withdrawals: Int64 = 0, balances: Int64 = 0, accounts: Int64 = 0)
        throws
        -> CurrencyTotals
    {
        func sum(_ total: Int64, _ amount: Int64) throws -> Int64 {
            let (result, overflow) = total.addingReportingOverflow(amount)
            guard !overflow else { throw LedgerProjectionError.totalOverflow(currency) }
            return result
        }
        return CurrencyTotals(
            currency: currency, deposits: try sum(self.deposits, deposits),
            withdrawals: try sum(self.withdrawals, withdrawals),
            balances: try sum(self.balances, balances), accounts: try sum(self.accounts, accounts))
    }
}
