import ArgumentParser
import Foundation
import TallyCore
import TallyStore
import TallyVerify

extension Tally {
    /// Copies the log, its read models and its API keys file into a new directory, while serving.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent, compacted copy of the data directory while tally serve runs.",
            discussion: """
                The copy is one snapshot of the log and its read models (appends go on meanwhile and
                are not in it), plus the API keys file (hashes only). The target must not exist or be
                empty. Restore it with tally restore.

                Examples:
                  tally backup /backups/tally-2026-11-27
                  tally backup /backups/nightly --data-dir /var/lib/tally --output json
                """)

        @OptionGroup var store: OfflineOptions
        @Option(help: "Output format: text or json.") var output: SummaryFormat = .text
        @Argument(help: "The directory to write the backup into (created; must be empty).") var directory: String

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let head = try log.backup(to: directory)
                try copyKeys(from: store.path, to: directory)
                print(summary("backed up", head: head, directory: directory, as: output))
            }
        }
    }

    /// Copies a backup into an empty data directory and checks it.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup into an empty data directory, and check that it holds the backup's tree head.",
            discussion: """
                The data directory must not exist or be empty: a restore never overwrites a log.
                Start tally serve on it afterwards.

                Examples:
                  tally restore /backups/tally-2026-11-27 --data-dir ./tally-data
                """)

        @OptionGroup var store: OfflineOptions
        @Option(help: "Output format: text or json.") var output: SummaryFormat = .text
        @Argument(help: "The backup directory (written by tally backup).") var backup: String

        func run() async throws {
            try await Tally.reportingFailure {
                let head = try ReadOnlyLog.restore(from: backup, to: store.path)
                try copyKeys(from: backup, to: store.path)
                print(summary("restored", head: head, directory: store.path, as: output))
            }
        }
    }

    /// How `backup` and `restore` report.
    enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }
}

/// Copies `api-keys.json` (hashes only, mode 0600) from `source` into `target` when there is one.
private func copyKeys(from source: String, to target: String) throws {
    let keys = "\(source)/api-keys.json"
    guard FileManager.default.fileExists(atPath: keys) else { return }
    try FileManager.default.copyItem(atPath: keys, toPath: "\(target)/api-keys.json")
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(target)/api-keys.json")
}

/// One line for people, or one JSON object, naming what was copied where.
func summary(_ verb: String, head: TreeHead, directory: String, as format: Tally.SummaryFormat) -> String {
    switch format {
    case .text: "\(verb) \(head.size) events (merkle root \(head.root.hex)) in \(directory)"
    case .json:
        {
            var json = JSONWriter()
            json.object { json in
                json.member("directory", string: directory)
                json.member("events", integer: head.size)
                json.member("merkleRoot", string: head.root.hex)
            }
            return String(decoding: json.bytes, as: UTF8.self)
        }()
    }
}
