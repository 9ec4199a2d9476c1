import Foundation
import Ledger
import LedgerProjection
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

/// A ledger log with the balances inline and the statements and trial balance async.
struct AsyncLedger {
    let ledger: LedgerHarness
    var log: EventLog { ledger.log }

    /// The statement of `account`, as the projection has it, with the position it reflects.
    func statement(_ account: String) throws -> (entries: [StatementEntry], position: UInt64) {
        try #require(
            try log.queryProjection(named: "account-statements") { txn, table, position in
                (try AccountStatements.entries(of: account, limit: .max, in: table, txn: txn), position)
            })
    }

    /// The trial balance of every currency, with the position it reflects.
    func trialBalance() throws -> (totals: [CurrencyTotals], position: UInt64) {
        try #require(
            try log.queryProjection(named: "trial-balance") { txn, table, position in
                (try TrialBalance.allTotals(in: table, txn: txn), position)
            })
    }

    /// Opens the log; with `running`, keeps the async projections current while `body` runs.
    static func with<R: Sendable>(
        path: String? = nil, asyncVersion: Int = 1, running: Bool = true,
        _ body: @Sendable (AsyncLedger) async throws -> R
    ) async throws -> R {
        let directory =
            path
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tally-async-\(UUID().uuidString)").path
        defer { if path == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let log = try EventLog(
            path: directory, inlineProjectors: [AccountBalances()],
            asyncProjectors: [AccountStatements(version: asyncVersion), TrialBalance(version: asyncVersion)])
        defer { log.close() }
        let subject = AsyncLedger(
            ledger: LedgerHarness(log: log, balances: try #require(log.inlineTable(named: "account-balances"))))
        guard running else { return try await body(subject) }
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                do { try await log.runProjections() } catch is CancellationError {}
                return nil
            }
            let result = try await body(subject)
            group.cancelAll()
            return result
        }
    }
}

@Suite("Async projections")
struct AsyncProjectionTests {
    @Test func statementsCarryARunningBalanceAndQueriesCanWaitForTheirWrites() async throws {
        try await AsyncLedger.with { subject in
            let ledger = subject.ledger
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 100))
            try await ledger.run(.openAccount(id: "b", owner: "Bob", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.deposit(account: "a", amount: 500))
            try await ledger.run(.transfer(from: "a", to: "b", amount: 200))
            let last = try await ledger.run(.withdraw(account: "a", amount: 350))
            let target = try #require(last.positions?.upperBound)
            let reached = try await subject.log.waitForProjection(
                named: "account-statements", toReach: target, timeout: .seconds(10))
            #expect(try #require(reached) >= target)
            let (entries, position) = try subject.statement("a")
            #expect(position >= target)
            #expect(entries.map(\.kind) == [.deposit, .transferOut, .withdrawal])
            #expect(entries.map(\.amount) == [500, -200, -350])
            #expect(entries.map(\.balanceAfter) == [500, 300, -50])
            #expect(entries[1].counterparty == "b")
            #expect(try subject.statement("b").entries.map(\.balanceAfter) == [200])
            let paged = try subject.log.queryProjection(named: "account-statements") { txn, table, _ in
                try AccountStatements.entries(of: "a", after: entries[0].revision, limit: 1, in: table, txn: txn)
            }
            #expect(paged?.map(\.amount) == [-200])
        }
    }

    @Test func waitingForAPositionTheProjectionHasNotReachedTimesOut() async throws {
        try await AsyncLedger.with(running: false) { subject in
            try await subject.ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            let started = ContinuousClock.now
            let reached = try await subject.log.waitForProjection(
                named: "trial-balance", toReach: 1, timeout: .milliseconds(200))
            #expect(reached == nil)
            #expect(ContinuousClock.now - started >= .milliseconds(200))
            await #expect(throws: EventLogError.unknownProjection("nope")) {
                try await subject.log.waitForProjection(named: "nope", toReach: 1, timeout: .milliseconds(10))
            }
            let status = try subject.log.projectionStatuses().first { $0.name == "trial-balance" }
            #expect(status?.lag == 1 && status?.checkpoint == 0 && status?.mode == "async")
        }
    }

    @Test func theTrialBalanceStaysExactUnderConcurrentTransfers() async throws {
        try await AsyncLedger.with { subject in
            let ledger = subject.ledger
            let accounts = (0..<8).map { "t-\($0)" }
            for account in accounts {
                try await ledger.run(.openAccount(id: account, owner: account, currency: "EUR", overdraftLimit: 25))
                try await ledger.run(.deposit(account: account, amount: 500))
            }
            try await ledger.run(.openAccount(id: "usd", owner: "U", currency: "USD", overdraftLimit: 0))
            try await ledger.run(.deposit(account: "usd", amount: 70))
            try await ledger.run(.withdraw(account: "usd", amount: 20))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<30 {
                            let from = accounts.randomElement()!
                            let to = accounts.randomElement()!
                            _ = try? await ledger.run(.transfer(from: from, to: to, amount: Int64.random(in: 1...120)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let head = try subject.log.treeHead().size
            _ = try await subject.log.waitForProjection(named: "trial-balance", toReach: head, timeout: .seconds(10))
            let (totals, position) = try subject.trialBalance()
            #expect(position == head)
            let eur = try #require(totals.first { $0.currency == "EUR" })
            #expect(eur.deposits == 4_000 && eur.withdrawals == 0 && eur.accounts == 8)
            #expect(eur.balances == eur.deposits - eur.withdrawals)
            #expect(
                eur.balances == (try ledger.allBalances().filter { $0.currency == "EUR" }.reduce(0) { $0 + $1.balance })
            )
            let usd = try #require(totals.first { $0.currency == "USD" })
            #expect(usd.deposits == 70 && usd.withdrawals == 20 && usd.balances == 50 && usd.accounts == 1)
        }
    }

    @Test func anAsyncDeadLetterRetriedAfterItsCauseIsFixedIsApplied() async throws {
        try await AsyncLedger.with { subject in
            let log = subject.log
            // A raw deposit to an account the trial balance has never seen: dead-lettered.
            let position = try await appendDepositBeforeItsAccount(to: log)
            // Then the account's opening arrives, and the retry succeeds.
            let opened = Ledger.Event.accountOpened(
                .init(account: "b", owner: "Bob", currency: "EUR", overdraftLimit: 0))
            let later = try await log.append(
                AppendRequest(events: [
                    try ProposedEvent(stream: .account("b"), type: opened.type, data: opened.payloadJSON)
                ]))
            _ = try await log.waitForProjection(
                named: "trial-balance", toReach: try #require(later.positions?.lowerBound), timeout: .seconds(10))
            #expect(try await log.resolveDeadLetter(.retry, projector: "trial-balance", position: position))
            #expect(try log.deadLetters(of: "trial-balance").isEmpty)
            let eur = try #require(try subject.trialBalance().totals.first { $0.currency == "EUR" })
            #expect(eur.deposits == 40 && eur.balances == 40 && eur.accounts == 1)
        }
    }

    @Test func aRebuildRepairsADamagedReadModelFromTheLog() async throws {
        try await AsyncLedger.with { subject in
            let log = subject.log
            try await subject.ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            for amount in 1...10 { try await subject.ledger.run(.deposit(account: "a", amount: Int64(amount))) }
            let head = try log.treeHead().size
            _ = try await log.waitForProjection(named: "trial-balance", toReach: head, timeout: .seconds(10))
            let correct = try subject.trialBalance().totals
            #expect(correct.first?.balances == 55)

            // Damage the read model behind the projector's back (as a bug in its code might).
            try damage(
                log: log, table: try #require(log.queryProjection(named: "trial-balance") { _, table, _ in table }))
            #expect(try subject.trialBalance().totals != correct)

            try await log.rebuildProjection(named: "trial-balance")
            let reached = try await log.waitForProjection(named: "trial-balance", toReach: head, timeout: .seconds(10))
            #expect(reached == head)
            #expect(try subject.trialBalance().totals == correct)
            #expect(try log.projectionStatuses().first { $0.name == "trial-balance" }?.state == .healthy)
        }
    }

    @Test func onlyAsyncProjectionsCanBeRebuiltWhileServing() async throws {
        try await AsyncLedger.with(running: false) { subject in
            await #expect(throws: EventLogError.inlineProjectionNotRebuildable("account-balances")) {
                try await subject.log.rebuildProjection(named: "account-balances")
            }
            await #expect(throws: EventLogError.unknownProjection("nope")) {
                try await subject.log.rebuildProjection(named: "nope")
            }
        }
    }

    @Test func aRebuildClearsDeadLettersAndMeetsThemAgainOnlyIfTheLogStillCausesThem() async throws {
        try await AsyncLedger.with { subject in
            let log = subject.log
            let position = try await appendDepositBeforeItsAccount(to: log)
            try await log.rebuildProjection(named: "trial-balance")
            _ = try await log.waitForProjection(named: "trial-balance", toReach: position, timeout: .seconds(10))
            // The log still holds a deposit before its account's opening: the fold meets it again.
            #expect(try log.deadLetters(of: "trial-balance").map(\.position) == [position])
        }
    }

    @Test func aNewVersionBuildsWhileTheOldOneServesThenTakesOverAndEqualsIt() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-async-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = try await AsyncLedger.with(path: path) { subject in
            let ledger = subject.ledger
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            for amount in 1...20 { try await ledger.run(.deposit(account: "a", amount: Int64(amount))) }
            let head = try subject.log.treeHead().size
            _ = try await subject.log.waitForProjection(
                named: "account-statements", toReach: head, timeout: .seconds(10))
            return try subject.statement("a").entries
        }
        #expect(before.count == 20)
        // Version 2 is registered but not yet built: queries still read version 1, at its checkpoint.
        try await AsyncLedger.with(path: path, asyncVersion: 2, running: false) { subject in
            let (entries, position) = try subject.statement("a")
            #expect(entries == before && position == 21)
            let status = try #require(try subject.log.projectionStatuses().first { $0.name == "account-statements" })
            #expect(status.version == 1 && status.state == .rebuilding(2))
        }
        // Running the projections builds version 2 from position 1 and switches to it.
        try await AsyncLedger.with(path: path, asyncVersion: 2) { subject in
            try await subject.ledger.run(.deposit(account: "a", amount: 100))
            let head = try subject.log.treeHead().size
            var switched = false
            for _ in 0..<200 where !switched {
                let status = try #require(
                    try subject.log.projectionStatuses().first { $0.name == "account-statements" })
                switched = status.version == 2 && status.state == .healthy && status.checkpoint == head
                if !switched { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(switched)
            let entries = try subject.statement("a").entries
            #expect(Array(entries.prefix(20)).map(\.balanceAfter) == before.map(\.balanceAfter))
            #expect(entries.last?.balanceAfter == 310)
        }
    }
}

/// Overwrites every row of `table` with zeros, in a write of the test's own (LMDB serializes it
/// with the log's writer).
private func damage(log: EventLog, table: ProjectionTable) throws {
    let rows = try log.environment.read { txn in try table.scan(prefix: [], limit: .max, in: txn) }
    try log.environment.write { txn in
        for row in rows { try table.put([UInt8](repeating: 0, count: row.value.count), forKey: row.key, in: txn) }
    }
}

/// Appends a raw deposit of 40 to account `b`, which is not open, and waits until the trial
/// balance has dead-lettered it; returns its position.
private func appendDepositBeforeItsAccount(to log: EventLog) async throws -> UInt64 {
    let deposit = Ledger.Event.deposited(.init(account: "b", amount: 40))
    let early = try await log.append(
        AppendRequest(events: [try ProposedEvent(stream: .account("b"), type: deposit.type, data: deposit.payloadJSON)])
    )
    let position = try #require(early.positions?.lowerBound)
    _ = try await log.waitForProjection(named: "trial-balance", toReach: position, timeout: .seconds(10))
    #expect(try log.deadLetters(of: "trial-balance").map(\.position) == [position])
    return position
}
