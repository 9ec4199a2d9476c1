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
            Export.self, Import.self, Verify.self, Replay.self, Audit.self, Erase.self,
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
    static let inlineProjectors = LedgerCommand.inlineProjectors
    /// The ledger's read models kept in the background.
    static let asyncProjectors = LedgerCommand.asyncProjectors

    /// Opens the log in `dataDirectory` for writing, creating the directory (and its parents) if
    /// missing, with the ledger's read models; commits wait for the disk unless `durability` says otherwise.
    ///
    /// - Parameters:
    ///   - mapSize: The map's size at start (`nil`: the store's default); it doubles when full.
    ///   - maxMapSize: The largest the map may grow to (`nil`: the store's default).
    /// - Throws: ``EventLogError/inUse(path:)`` while another process (`tally serve`) writes there;
    ///   ``DataDirectoryError`` if the system refuses the directory (read-only, not permitted, not a directory).
    static func openLog(
        in dataDirectory: String, mapSize: Int? = nil, maxMapSize: Int? = nil,
        metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "tally", factory: { _ in SwiftLogNoOpLogHandler() }),
        durability: Environment.Durability = .durable
    ) throws -> EventLog {
        if !FileManager.default.fileExists(atPath: dataDirectory) { try makeDirectories(dataDirectory) }
        var options = EventLog.Options()
        options.metrics = metrics
        options.environment.durability = durability
        if let mapSize { options.environment.mapSize = mapSize }
        if let maxMapSize { options.maxMapSize = maxMapSize }
        do {
            return try EventLog(
                path: dataDirectory, options: options, inlineProjectors: inlineProjectors,
                asyncProjectors: asyncProjectors, logger: logger)
        } catch let error as LMDBError {
            // The system's refusals of the directory itself, and a disk too full to open it.
            guard case .system(let code) = error.kind,
                [EACCES, EPERM, EROFS, ENOTDIR, EISDIR, ENOENT, ENOSPC, EDQUOT].contains(code)
            else { throw error }
            throw DataDirectoryError(path: dataDirectory, code: code, operation: error.operation)
        }
    }
}

extension Tally {
    /// Creates `path` and its missing parents (mode 0750), as `mkdir -p` does.
    ///
    /// - Throws: ``DataDirectoryError`` with the `errno` of the first directory the system refused.
    private static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/\(component)"
            if mkdir(prefix, 0o750) != 0, errno != EEXIST {
                throw DataDirectoryError(path: path, code: errno, operation: "mkdir")
            }
        }
    }
}

/// The system refused the data directory or a file in it: it is read-only, not permitted, not a
/// directory, or its disk is full.
struct DataDirectoryError: Error {
    /// The data directory.
    let path: String
    /// The `errno` the system answered.
    let code: Int32
    /// What was refused, such as `mkdir` or `open tally.lock`.
    let operation: String
}

extension Tally {
    /// Opens the log in `dataDirectory` read-only, with the ledger's projections named.
    static func openReadOnlyLog(in dataDirectory: String) throws -> ReadOnlyLog {
        try ReadOnlyLog(path: dataDirectory, inlineProjectors: inlineProjectors, asyncProjectors: asyncProjectors)
    }
}
