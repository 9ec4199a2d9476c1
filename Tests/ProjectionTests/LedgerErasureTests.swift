import Foundation
import Ledger
import LedgerProjection
import TallyStore
import Testing

@Suite("Erasure in the ledger")
struct LedgerErasureTests {
    private func erasure(_ positions: [UInt64], fields: [String]? = nil) throws -> ErasureRequest {
        try ErasureRequest(positions: positions, fields: fields, reason: "GDPR request 7")
    }

    @Test func erasingAnOwnerForgetsItInTheBalancesAndAFreshReplayAgrees() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-ledger-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let live = try await LedgerHarness.with(path: path) { ledger in
            let opened = try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.openAccount(id: "b", owner: "Bob", currency: "EUR", overdraftLimit: 0))
            try await ledger.run(.deposit(account: "a", amount: 500))
            let opening = try #require(opened.events.first?.position)
            let result = try await ledger.log.erase(try erasure([opening], fields: ["owner"]))
            #expect(result.erased == [opening])
            let row = try #require(try ledger.balance("a"))
            #expect(row.owner == nil)
            #expect(row.balance == 500)
            #expect(row.currency == "EUR")
            #expect(try ledger.balance("b")?.owner == "Bob")
            // The books carry on: commands decide from the row as before.
            try await ledger.run(.withdraw(account: "a", amount: 200))
            #expect(try ledger.balance("a")?.balance == 300)
            return try ledger.allBalances()
        }
        // Version 2 folds the log, erased opening included, into the same rows.
        let replayed = try await LedgerHarness.with(path: path, version: 2) { ledger in try ledger.allBalances() }
        #expect(replayed == live)
    }

    @Test(arguments: [nil, ["amount"]] as [[String]?])
    func erasingWhatTheBooksNeedIsRefused(fields: [String]?) async throws {
        try await LedgerHarness.with { ledger in
            try await ledger.run(.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
            let deposit = try await ledger.run(.deposit(account: "a", amount: 500))
            let position = try #require(deposit.events.first?.position)
            let head = try ledger.log.treeHead()
            await #expect(
                throws: EventLogError.erasureRefused(
                    projector: "account-balances", position: position,
                    reason:
                        "the ledger's books need every member of a deposited event but owner; erase only the owner field"
                )
            ) {
                try await ledger.log.erase(try erasure([position], fields: fields))
            }
            #expect(try ledger.log.treeHead() == head)
            #expect(try ledger.log.event(at: position)?.erasure == nil)
        }
    }
}
