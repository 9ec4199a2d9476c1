import ArgumentParser
import Foundation
import TallyStore

/// The `tally` command: the only composition root of the service.
@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "A verifiable event store: an append-only log in LMDB with a Merkle tree over every event.",
        subcommands: [Status.self],
        defaultSubcommand: Status.self)
}

/// Options every subcommand that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory holding the LMDB environment (created if missing).")
    var dataDirectory = "./tally-data"
}

extension StoreOptions {
    /// Opens the log in the data directory, creating the directory (and its parents) if missing.
    func openLog() throws -> EventLog {
        if !FileManager.default.fileExists(atPath: dataDirectory) {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        }
        return try EventLog(path: dataDirectory)
    }
}
