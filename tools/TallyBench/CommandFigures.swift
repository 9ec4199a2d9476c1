import Foundation
import Ledger
import LedgerProjection
import TallyLMDB
import TallyStore
import TallyVerify

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

    /// Figure 6: builds a ledger log of `events` events (setup, not measured, written without
    /// sync), then reopens it with new versions of all three read models and measures the time
    /// until all three have caught up: events per second of log (with the bytes LMDB wrote
    /// meanwhile), and per CPU second of the process.
    static func rebuild(events: Int, at path: String, mapSize: Int) async throws -> (wall: Sample, cpu: Sample) {
        var options = EventLog.Options()
        options.environment.mapSize = mapSize
        var setup = options
        setup.environment.durability = .unsafeNoSync  // setup only; the rebuild itself is durable
        do {
            let log = try EventLog(path: path, options: setup)
            defer { log.close() }
            var random = SplitMix64(seed: 6)
            var batch: [ProposedEvent] = []
            for index in 0..<events {
                let account = "acc-\(index < accountCount ? index : Int(random.next() % UInt64(accountCount)))"
                let event: Ledger.Event
                if index < accountCount {
                    event = .accountOpened(.init(account: account, owner: account, currency: "EUR", overdraftLimit: 0))
                } else {
                    switch random.next() % 4 {
                    case 0: event = .withdrawn(.init(account: account, amount: 1))
                    case 1: event = .transferDebited(.init(account: account, counterparty: "acc-0", amount: 1))
                    case 2: event = .transferCredited(.init(account: account, counterparty: "acc-0", amount: 1))
                    default: event = .deposited(.init(account: account, amount: 5))
                    }
                }
                batch.append(
                    try ProposedEvent(stream: .account(account), type: event.type, data: event.payloadJSON))
                if batch.count == 1_000 || index == events - 1 {
                    try await log.append(AppendRequest(events: batch))
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        let start = ContinuousClock.now
        let cpuStart = cpuSeconds()
        let writtenBefore = writtenBytesSoFar()
        let log = try EventLog(
            path: path, options: options, inlineProjectors: [AccountBalances(version: 2)],
            asyncProjectors: [AccountStatements(version: 2), TrialBalance(version: 2)])
        defer { log.close() }
        let head = try log.treeHead().size
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await log.runProjections() } catch is CancellationError {}  // as tally serve runs them
            }
            for name in ["account-statements", "trial-balance"] {
                guard try await log.waitForProjection(named: name, toReach: head, timeout: .seconds(3_600)) != nil
                else {
                    throw BenchmarkError("\(name) did not catch up")
                }
            }
            group.cancelAll()
        }
        return (
            Sample(
                events: Int(head), seconds: (ContinuousClock.now - start).seconds,
                writtenBytes: written(since: writtenBefore)),
            Sample(events: Int(head), seconds: cpuSeconds() - cpuStart)
        )
    }
}
