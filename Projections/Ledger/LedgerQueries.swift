import Ledger
package import TallyLMDB
package import TallyStore
import TallyCore

/// `account-balances` documents: one per account, keyed by account id.
package struct AccountBalanceQueries: ProjectionQueries {
    package let projectionName = AccountBalances().name

    /// Queries over the ``AccountBalances`` table.
    package init() {}

    package func document(forKey key: String, in table: ProjectionTable, txn: borrowing ReadTransaction) throws
        -> [UInt8]?
    {
        try AccountBalances.balance(of: key, in: table, txn: txn).map(\.json)
    }

    package func documents(
        prefix: String, after: String?, limit: Int, in table: ProjectionTable, txn: borrowing ReadTransaction
    ) throws -> [ProjectionDocument] {
        try AccountBalances.balances(prefix: prefix, after: after, limit: limit, in: table, txn: txn).map {
            ProjectionDocument(key: $0.id, json: $0.json)
        }
    }
}

extension AccountBalance {
    /// The row as a JSON document; `available` is what a withdrawal may take (balance plus overdraft).
    var json: [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.member("id", string: id)
            json.member("owner", optionalString: owner)
            json.member("currency", string: currency)
            json.member("balance", integer: balance)
            json.member("overdraftLimit", integer: overdraftLimit)
            json.member("available", integer: balance.addingReportingOverflow(overdraftLimit).partialValue)
            json.member("status", string: status.rawValue)
            json.member("revision", integer: revision)
            json.member("position", integer: position)
        }
        return json.bytes
    }
}

/// `account-statements` documents: one per statement entry, keyed `<account>:<revision>` with the
/// revision written as 20 digits, so `<account>:` lists an account's statement in order.
package struct AccountStatementQueries: ProjectionQueries {
    package let projectionName = AccountStatements().name

    /// Queries over the ``AccountStatements`` table.
    package init() {}

    package func document(forKey key: String, in table: ProjectionTable, txn: borrowing ReadTransaction) throws
        -> [UInt8]?
    {
        guard let (account, revision) = Self.split(key), revision > 0 else { return nil }
        let entry = try AccountStatements.entries(of: account, after: revision - 1, limit: 1, in: table, txn: txn)
            .first
        return entry.flatMap { $0.revision == revision ? Self.json(account: account, entry: $0) : nil }
    }

    package func documents(
        prefix: String, after: String?, limit: Int, in table: ProjectionTable, txn: borrowing ReadTransaction
    ) throws -> [ProjectionDocument] {
        // Entries are stored per account; a prefix naming one account reads only its entries.
        guard let (account, _) = Self.split(prefix) ?? Self.split(prefix + "0") else {
            return []
        }
        let start = after.flatMap(Self.split).flatMap { $0.account == account ? $0.revision : nil }
        var documents: [ProjectionDocument] = []
        var cursor = start
        while documents.count < limit {
            let page = try AccountStatements.entries(
                of: account, after: cursor, limit: limit, in: table, txn: txn)
            for entry in page where documents.count < limit {
                let key = Self.key(account: account, revision: entry.revision)
                if key.hasPrefix(prefix) {
                    documents.append(ProjectionDocument(key: key, json: Self.json(account: account, entry: entry)))
                }
            }
            guard page.count == limit, let last = page.last else { break }
            cursor = last.revision
        }
        return documents
    }

    private static func key(account: String, revision: UInt64) -> String {
        let digits = String(revision)
        return "\(account):\(String(repeating: "0", count: max(0, 20 - digits.count)))\(digits)"
    }

    /// The account and revision of a key `<account>:<digits>`.
    private static func split(_ key: String) -> (account: String, revision: UInt64)? {
        guard let colon = key.lastIndex(of: ":"), colon != key.startIndex,
            let revision = UInt64(key[key.index(after: colon)...])
        else { return nil }
        return (String(key[..<colon]), revision)
    }

    private static func json(account: String, entry: StatementEntry) -> [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.member("account", string: account)
            json.member("revision", integer: entry.revision)
            json.member("position", integer: entry.position)
            json.member("recordedAt", string: entry.recordedAt.iso8601)
            json.member("kind", string: "\(entry.kind)")
            json.member("amount", integer: entry.amount)
            json.member("balanceAfter", integer: entry.balanceAfter)
            json.member("counterparty", optionalString: entry.counterparty)
        }
        return json.bytes
    }
}

/// `trial-balance` documents: one per currency, keyed by its ISO 4217 code.
package struct TrialBalanceQueries: ProjectionQueries {
    package let projectionName = TrialBalance().name

    /// Queries over the ``TrialBalance`` table.
    package init() {}

    package func document(forKey key: String, in table: ProjectionTable, txn: borrowing ReadTransaction) throws
        -> [UInt8]?
    {
        try TrialBalance.totals(of: key, in: table, txn: txn).map(\.json)
    }

    package func documents(
        prefix: String, after: String?, limit: Int, in table: ProjectionTable, txn: borrowing ReadTransaction
    ) throws -> [ProjectionDocument] {
        try TrialBalance.totals(prefix: prefix, after: after, limit: limit, in: table, txn: txn).map {
            ProjectionDocument(key: $0.currency, json: $0.json)
        }
    }
}

extension CurrencyTotals {
    var json: [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.member("currency", string: currency)
            json.member("deposits", integer: deposits)
            json.member("withdrawals", integer: withdrawals)
            json.member("balances", integer: balances)
            json.member("accounts", integer: accounts)
        }
        return json.bytes
    }
}

extension LedgerCommand {
    /// The ledger's read models kept inline: commands decide against `account-balances`.
    package static let inlineProjectors: [any Projector] = [AccountBalances()]
    /// The ledger's read models kept in the background.
    package static let asyncProjectors: [any Projector] = [AccountStatements(), TrialBalance()]

    /// The queries of every ledger read model.
    package static let queries: [any ProjectionQueries] = [
        AccountBalanceQueries(), AccountStatementQueries(), TrialBalanceQueries(),
    ]
}
