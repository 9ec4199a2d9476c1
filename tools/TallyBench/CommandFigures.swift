import Foundation
import Ledger
import LedgerProjection
import TallyLMDB
import TallyStore

/// Measures ledger commands run through the log's writer, deciding from the inline balances.
enum CommandFigures {
    /// The accounts commands spread over.
    static let accountCount = 1_000

    /// What a caller sends, given a random number generator.
    enum Kind: String, Sendable {
        case deposit, transfer
    }

    /// Opens a fresh log with ``AccountBalances`` inline, opens every account and funds it, unmeasured.
    static func openLedger(at path: String, mapSize: Int) async throws -> (EventLog, ProjectionTable) {
        var options = EventLog.Options()
        options.environment.mapSize = mapSize
        let log = try EventLog(path: path, options: options, inlineProjectors: [AccountBalances()])
        let balances = log.inlineTable(named: "account-balances")!
        try await withThrowingTaskGroup(of: Void.self) { group in
            for account in 0..<accountCount {
                group.addTask {
                    let id = "acc-\(account)"
                    try await log.execute(
                        try LedgerCommand(
                            .openAccount(id: id, owner: id, currency: "EUR", overdraftLimit: 0), balances: balances))
                    try await log.execute(
                        try LedgerCommand(.deposit(account: id, amount: 1_000_000_000), balances: balances))
                }
            }
            try await group.waitForAll()
        }
        return (log, balances)
    }

    /// Runs commands of `kind` from `callers` concurrent tasks for `budget`; one sample of commands per second.
    static func run(
        _ kind: Kind, callers: Int, budget: Duration, log: EventLog, balances: ProjectionTable
    ) async throws -> Sample {
        let start = ContinuousClock.now
        let deadline = start + budget
        let parts = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var random = SplitMix64(seed: UInt64(caller + 1))
                    var count = 0
                    var latencies: [Double] = []
                    while ContinuousClock.now < deadline {
                        let command: Ledger.Command
                        switch kind {
                        case .deposit:
                            command = .deposit(account: "acc-\(random.next() % UInt64(accountCount))", amount: 100)
                        case .transfer:
                            // Any other account: an offset of 1...count-1 from `from`.
                            let source = random.next() % UInt64(accountCount)
                            let target = (source + 1 + random.next() % UInt64(accountCount - 1)) % UInt64(accountCount)
                            command = .transfer(from: "acc-\(source)", to: "acc-\(target)", amount: 1)
                        }
                        let begun = ContinuousClock.now
                        try await log.execute(try LedgerCommand(command, balances: balances))
                        latencies.append((ContinuousClock.now - begun).seconds)
                        count += 1
                    }
                    return (count, latencies)
                }
            }
            return try await group.reduce(into: [(Int, [Double])]()) { $0.append($1) }
        }
        return Sample(
            events: parts.reduce(0) { $0 + $1.0 }, seconds: (ContinuousClock.now - start).seconds,
            latencies: Latencies(parts.flatMap(\.1)))
    }
}
