import Foundation
import Ledger
import LedgerProjection
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

/// A log with the inline balances projection in a fresh temporary directory.
struct LedgerHarness {
    let log: EventLog
    let balances: ProjectionTable

    /// Runs `command` through the log's writer.
    @discardableResult
    func run(_ command: Ledger.Command, id: UUID? = nil, context: CommandContext = .init()) async throws
        -> AppendReceipt
    {
        try await log.execute(try LedgerCommand(command, id: id, context: context, balances: balances))
    }

    /// The account's row as the read model has it.
    func balance(_ id: String) throws -> AccountBalance? {
        try log.snapshot { txn, _ in try AccountBalances.balance(of: id, in: balances, txn: txn) }
    }

    /// Every row of the read model.
    func allBalances() throws -> [AccountBalance] {
        try log.snapshot { txn, _ in try AccountBalances.balances(limit: .max, in: balances, txn: txn) }
    }

    static func with<R>(
        path: String? = nil, version: Int = 1, _ body: (LedgerHarness) async throws -> R
    ) async throws -> R {
        let directory =
            path
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tally-ledger-\(UUID().uuidString)").path
        defer { if path == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let log = try EventLog(path: directory, inlineProjectors: [AccountBalances(version: version)])
        defer { log.close() }
        return try await body(
            LedgerHarness(log: log, balances: try #require(log.inlineTable(named: "account-balances"))))
    }
}

@Suite("Ledger commands through the log")
struct LedgerProjectionTests {
    @Test func commandsBecomeEventsAndTheBalancesFollowAtOnce() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.openAccount(id: "b", owner: "Bob", currency: "EUR", overdraftLimit: 100))
            try await ledger.run(.deposit(account: "a", amount: 1250))
            let transfer = try await ledger.run(.transfer(from: "a", to: "b", amount: 250))
            #expect(transfer.events.map(\.stream) == [try .account("a"), try .account("b")])
            #expect(transfer.positions == 4...5)
            #expect(transfer.streamRevisions == [try .account("a"): 2, try .account("b"): 1])
            let a = try #require(try ledger.balance("a"))
            #expect(a.balance == 1000 && a.revision == 2 && a.position == 4 && a.currency == "EUR")
            #expect(try ledger.balance("b")?.balance == 250)
            let stored = try #require(try ledger.log.event(at: 4))
            #expect(stored.type == "transferDebited")
            #expect(String(decoding: stored.data, as: UTF8.self) == #"{"account":"a","amount":250,"counterparty":"b"}"#)
            #expect(stored.tags == ["account:a"])
        }
    }

    @Test func aRejectionIsTypedAndWritesNothing() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            await #expect(throws: Ledger.Rejection.insufficientFunds(account: "a", available: 0, requested: 5)) {
                try await ledger.run(.withdraw(account: "a", amount: 5))
            }
            await #expect(throws: Ledger.Rejection.unknownAccount("zed")) {
                try await ledger.run(.deposit(account: "zed", amount: 5))
            }
            #expect(try ledger.log.treeHead().size == 1)
        }
    }

    @Test func aCommandThatChangesNothingAppendsNothing() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            let receipt = try await ledger.run(.unfreeze(account: "a"))
            #expect(receipt.events.isEmpty)
            #expect(receipt.positions == nil)
            #expect(try ledger.log.treeHead().size == 1)
        }
    }

    @Test func everyEventRecordsTheCommandAndItsContext() async throws {
        try await LedgerHarness.with { ledger in
            let id = UUID()
            try await ledger.run(
                .openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0), id: id,
                context: CommandContext(correlationID: "req-1", causationID: "evt-0", actor: "ops@example"))
            struct Metadata: Decodable, Equatable {
                var commandId: String
                var commandType: String
                var correlationId: String?
                var causationId: String?
                var actor: String?
            }
            let event = try #require(try ledger.log.event(at: 1))
            #expect(
                try JSONDecoder().decode(Metadata.self, from: Data(event.metadata))
                    == Metadata(
                        commandId: id.uuidString.lowercased(), commandType: "openAccount", correlationId: "req-1",
                        causationId: "evt-0", actor: "ops@example"))
        }
    }

    @Test func retryingACommandReturnsTheOriginalReceiptAndReusingItsIDForAnotherIsAConflict() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            let id = UUID()
            let first = try await ledger.run(.deposit(account: "a", amount: 100), id: id)
            try await ledger.run(.withdraw(account: "a", amount: 100))  // the state moves on
            let retry = try await ledger.run(.deposit(account: "a", amount: 100), id: id)
            #expect(retry.isReplay)
            #expect(retry.events == first.events)
            #expect(try ledger.balance("a")?.balance == 0)  // deposited once, not twice
            await #expect(throws: EventLogError.idempotencyConflict(id: id)) {
                try await ledger.run(.deposit(account: "a", amount: 999), id: id)
            }
            // A no-op command's retry is a replay too.
            let noop = UUID()
            #expect(try await ledger.run(.unfreeze(account: "a"), id: noop).events.isEmpty)
            let noopRetry = try await ledger.run(.unfreeze(account: "a"), id: noop)
            #expect(noopRetry.isReplay && noopRetry.events.isEmpty)
        }
    }

    @Test func sixtyFourConcurrentWithdrawalsNeverOverdrawAnAccount() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.deposit(account: "a", amount: 300))
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        do {
                            try await ledger.run(.withdraw(account: "a", amount: 10))
                            return true
                        } catch Ledger.Rejection.insufficientFunds {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 30)
            #expect(try ledger.balance("a")?.balance == 0)
            #expect(try ledger.log.readStream(try .account("a"), limit: 1000).events.count == 32)
        }
    }

    @Test func randomConcurrentTransfersKeepEveryCentAndTheReadModelEqualsAFreshReplay() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-ledger-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let accounts = (0..<10).map { "acc-\($0)" }
        let live = try await LedgerHarness.with(path: path) { ledger in
            for account in accounts {
                try await ledger.run(.openAccount(id: account, owner: account, currency: "EUR", overdraftLimit: 50))
                try await ledger.run(.deposit(account: account, amount: 1_000))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        var random = SystemRandomNumberGenerator()
                        for _ in 0..<25 {
                            let from = accounts.randomElement(using: &random)!
                            let to = accounts.randomElement(using: &random)!
                            let amount = Int64.random(in: 1...400, using: &random)
                            do {
                                try await ledger.run(.transfer(from: from, to: to, amount: amount))
                            } catch is Ledger.Rejection {
                                // insufficient funds or the same account: a normal outcome
                            }
                        }
                        _ = task
                    }
                }
                try await group.waitForAll()
            }
            let rows = try ledger.allBalances()
            #expect(rows.count == 10)
            #expect(rows.reduce(0) { $0 + $1.balance } == 10_000)  // transfers move money, never make it
            #expect(rows.allSatisfy { $0.balance >= -50 })
            #expect(try ledger.log.projectionStatuses().map(\.state) == [.healthy])
            return rows
        }
        // Version 2 of the projector builds a fresh read model from position 1 at open: it must
        // equal what the inline projection maintained event by event.
        let replayed = try await LedgerHarness.with(path: path, version: 2) { ledger in try ledger.allBalances() }
        #expect(replayed == live)
    }

    @Test func anEventTheProjectorCannotApplyIsDeadLetteredAndTheLogCarriesOn() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            // A service appends a raw "deposited" event whose payload the ledger cannot read.
            let bad = try ProposedEvent(stream: .account("a"), type: "deposited", data: Array(#"{"account":"a"}"#.utf8))
            let receipt = try await ledger.log.append(AppendRequest(events: [bad]))
            #expect(receipt.positions == 2...2)
            let letters = try ledger.log.deadLetters(of: "account-balances")
            #expect(letters.map(\.position) == [2])
            let status = try #require(try ledger.log.projectionStatuses().first)
            #expect(status.state == .degraded && status.deadLetters == 1 && status.name == "account-balances")
            // Other accounts carry on. Account "a" itself is refused: its read model is behind its
            // stream, so deciding from it would be unsafe until the dead letter is dealt with.
            try await ledger.run(.openAccount(id: "b", owner: "Bob", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.deposit(account: "b", amount: 7))
            #expect(try ledger.balance("b")?.balance == 7)
            await #expect(
                throws: EventLogError.wrongExpectedRevision(stream: try .account("a"), expected: .exact(0), actual: 1)
            ) {
                try await ledger.run(.deposit(account: "a", amount: 7))
            }
            // Retrying the same bad event fails again and keeps the dead letter; skipping it
            // acknowledges it, and the account takes commands again.
            #expect(try await !ledger.log.resolveDeadLetter(.retry, projector: "account-balances", position: 2))
            #expect(try ledger.log.deadLetters(of: "account-balances").map(\.position) == [2])
            #expect(try await ledger.log.resolveDeadLetter(.skip, projector: "account-balances", position: 2))
            #expect(try ledger.log.deadLetters(of: "account-balances").isEmpty)
            #expect(try ledger.log.projectionStatuses().first?.state == .healthy)
            try await ledger.run(.deposit(account: "a", amount: 7))
            #expect(try ledger.balance("a")?.balance == 7 && ledger.balance("a")?.revision == 2)
            await #expect(throws: EventLogError.noSuchDeadLetter(projector: "account-balances", position: 2)) {
                try await ledger.log.resolveDeadLetter(.skip, projector: "account-balances", position: 2)
            }
            await #expect(throws: EventLogError.unknownProjection("nope")) {
                try await ledger.log.resolveDeadLetter(.retry, projector: "nope", position: 2)
            }
        }
    }

    @Test func streamsOfOtherCategoriesHaveNoAccountID() throws {
        #expect(try StreamID.account("a-1").accountID == "a-1")
        #expect(try StreamID("order-1").accountID == nil)
        #expect(try StreamID("account").accountID == nil)
    }

    @Test func queriesReportThePositionTheyReflect() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.deposit(account: "a", amount: 3))
            let (row, position) = try ledger.log.snapshot { txn, head in
                (try AccountBalances.balance(of: "a", in: ledger.balances, txn: txn), head)
            }
            #expect(row?.balance == 3)
            #expect(position == 2)
        }
    }
}

@Suite("Account balance rows")
struct AccountBalanceRowTests {
    @Test func rowsReadBackExactlyAndDamagedRowsAreRefused() async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a.b_c-1", owner: "Zoë", currency: "JPY", overdraftLimit: 7))
            try await ledger.run(.freeze(account: "a.b_c-1"))
            let row = try #require(try ledger.balance("a.b_c-1"))
            #expect(row.owner == "Zoë" && row.currency == "JPY" && row.overdraftLimit == 7 && row.status == .frozen)
            #expect(row.revision == 1 && row.position == 2)
            // Damage the stored row: the read model refuses it rather than misreading it.
            try overwrite(Array("a.b_c-1".utf8), with: [0, 200, 1], in: ledger.balances, of: ledger.log)
            #expect(throws: RowError.damaged) { try ledger.balance("a.b_c-1") }
        }
    }
}

/// Writes straight into a read model, as only damage would (`write` blocks, so not from async code).
func overwrite(_ key: [UInt8], with value: [UInt8], in table: ProjectionTable, of log: EventLog) throws {
    try log.environment.write { txn in try table.put(value, forKey: key, in: txn) }
}
