import ArgumentParser
import Foundation
import Ledger
import LedgerProjection
import Logging
import Metrics
import TallyLMDB
import TallyStore

/// The `tally` command: the only composition root of the service.
@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "A verifiable event store: an append-only log in LMDB with a Merkle tree over every event.",
        subcommands: [
            Serve.self, Status.self, Streams.self, Read.self, Events.self, Query.self, Projections.self, Tail.self,
            Export.self, Import.self, Verify.self, Replay.self, Audit.self,
            Backup.self, Restore.self, Submit.self, LedgerCommands.self, Keys.self,
        ],
        defaultSubcommand: Status.self)
}

/// Options every subcommand that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory holding the LMDB environment (created if missing).")
    var dataDirectory = "./tally-data"
}

extension StoreOptions {
    /// Opens the log in the data directory, creating the directory (and its parents) if missing.
    func openLog() throws -> EventLog { try Tally.openLog(in: dataDirectory) }
}

extension Tally {
    /// The ledger's read models kept inline: commands decide against `account-balances`.
    static let inlineProjectors: [any Projector] = [AccountBalances()]
    /// The ledger's read models kept in the background.
    static let asyncProjectors: [any Projector] = [AccountStatements(), TrialBalance()]

    /// Opens the log in `dataDirectory` for writing, creating the directory (and its parents) if
    /// missing, with the ledger's read models; commits wait for the disk unless `durability` says otherwise.
    ///
    /// - Throws: ``EventLogError/inUse(path:)`` while another process (`tally serve`) writes there.
    static func openLog(
        in dataDirectory: String, metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "tally", factory: { _ in SwiftLogNoOpLogHandler() }),
        durability: Environment.Durability = .durable
    ) throws -> EventLog {
        if !FileManager.default.fileExists(atPath: dataDirectory) {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        }
        var options = EventLog.Options()
        options.metrics = metrics
        options.environment.durability = durability
        return try EventLog(
            path: dataDirectory, options: options, inlineProjectors: inlineProjectors,
            asyncProjectors: asyncProjectors, logger: logger)
    }
}

extension Tally {
    /// Opens the log in `dataDirectory` read-only, with the ledger's projections named.
    static func openReadOnlyLog(in dataDirectory: String) throws -> ReadOnlyLog {
        try ReadOnlyLog(path: dataDirectory, inlineProjectors: inlineProjectors, asyncProjectors: asyncProjectors)
    }
}
