import ArgumentParser
import Foundation
import TallyCore
import TallyStore
import TallyVerify

extension Tally {
    /// Re-derives the Merkle tree from the stored events and checks it against a pinned tree head.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that nothing in the log was altered or removed: recompute every leaf and node offline.",
            discussion: """
                Reads a data directory (or a backup: the same layout) read-only — safe beside
                tally serve — or an export (--export). Every event's leaf hash is recomputed from
                its bytes, every Merkle node from the leaves, and compared with what is stored.
                With a pinned tree head (--size and --root: what you noted from tally status, an
                export or a checkpoint earlier) the log must reproduce that root at that size, so
                truncation and a rewritten history with a valid new tree are caught too; without
                one they cannot be. A signed checkpoint (--checkpoint, from tally audit checkpoint
                or <data-dir>/checkpoint.latest) pins the head it states once its signature checks
                out with the verifier key --key names. Exits 0 when everything holds, 65 naming
                the first bad position (or the bad checkpoint) otherwise.

                Examples:
                  tally verify --data-dir /var/lib/tally --size 41000 --root 9f2c…
                  tally verify --data-dir /backups/2026-11-27
                  tally verify --export events.ndjson --size 3 --root 5e0a…
                  tally verify --checkpoint checkpoint.txt --key checkpoint-verifier.key
                """)

        @OptionGroup var store: OfflineOptions
        @Option(help: "Verify this export (NDJSON from tally export, or - for stdin) instead of a data directory.")
        var export: String?
        @Option(help: "The pinned tree head's size (with --root).") var size: UInt64?
        @Option(help: "The pinned tree head's root, 64 hexadecimal digits (with --size).") var root: String?
        @Flag(help: "Also fold every read model afresh from the log and compare it with the stored one.")
        var projections = false
        @Option(help: ArgumentHelp("A signed checkpoint whose tree head to pin (with --key).", valueName: "file"))
        var checkpoint: String?
        @Option(help: ArgumentHelp("The verifier key file that signed --checkpoint.", valueName: "file"))
        var key: String?
        @Option(help: "Output format: text or json.") var output: SummaryFormat = .text

        func validate() throws {
            guard (size == nil) == (root == nil) else { throw ValidationError("Give --size and --root together.") }
            if let root, Self.bytes(hex: root) == nil { throw ValidationError("--root must be 64 hexadecimal digits.") }
            guard (checkpoint == nil) == (key == nil) else {
                throw ValidationError("Give --checkpoint and --key together.")
            }
            if checkpoint != nil, size != nil { throw ValidationError("Give --checkpoint or --size/--root, not both.") }
            if export != nil, store.dataDirectory != nil {
                throw ValidationError("Give --data-dir or --export, not both.")
            }
            if export != nil, projections {
                throw ValidationError("--projections needs a data directory, not --export.")
            }
        }

        /// The pinned tree head `--size` and `--root` name (both or neither: `validate()` checks),
        /// or the one `--checkpoint` states once its signature checked out with `--key`.
        ///
        /// - Throws: ``CheckpointError`` for a checkpoint that is malformed or not signed by the key.
        private func pinned() throws -> TreeHead? {
            if let checkpoint, let key {
                let note = try readText(checkpoint)
                return try SignedCheckpoint(verifying: note, with: try readVerifierKey(key)).treeHead
            }
            guard let size, let root, let bytes = Self.bytes(hex: root) else { return nil }
            return TreeHead(size: size, root: bytes)
        }

        func run() async throws {
            try await Tally.reportingFailure {
                let pinned = try pinned()
                var progress = Progress("verifying")
                let report: VerificationReport
                var checks: [ProjectionCheck] = []
                if let export {
                    report = try Self.verifyExport(export, against: pinned, progress: &progress)
                    progress.finish(report.head.size)
                } else {
                    let log = try store.openLog()
                    defer { log.close() }
                    report = try log.verify(against: pinned) { progress.update($0) }
                    progress.finish(report.head.size)
                    if projections {
                        var replaying = Progress("replaying")
                        checks = try await ProjectionCheck.run(log) { replaying.update($0) }
                    }
                }
                print(Self.render(report, checks, as: output))
                let mismatched = checks.filter { !$0.matches }
                if !mismatched.isEmpty { throw ProjectionMismatch(checks: mismatched) }
            }
        }

        /// Rebuilds the tree of an export line by line.
        private static func verifyExport(
            _ path: String, against pinned: TreeHead?, progress: inout Progress
        ) throws -> VerificationReport {
            let input =
                path == "-" ? FileHandle.standardInput : try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            var lines = LineReader(input)
            var rebuilder = TreeRebuilder(pinned: pinned)
            while let (number, line) = try lines.next() {
                if line.isEmpty { continue }
                let event: ExportedEvent
                do {
                    event = try ExportedEvent(json: line)
                } catch {
                    throw VerificationFailure.unreadable(line: number, reason: Tally.describe(error))
                }
                try rebuilder.append(leaf: event.leafHash, at: event.position)
                progress.update(event.position)
            }
            return try rebuilder.finish()
        }

        static func render(_ report: VerificationReport, _ checks: [ProjectionCheck], as format: SummaryFormat)
            -> String
        {
            switch format {
            case .text:
                var text =
                    "verified \(report.head.size) events: every leaf and node recomputed; tree head size \(report.head.size) root \(report.head.root.hex)"
                if let pinned = report.pinned {
                    text += "; reproduces the pinned root at size \(pinned.size)"
                } else {
                    text += "; no pinned tree head given, so truncation or a rewritten history cannot be ruled out"
                }
                for check in checks {
                    text += "\nprojection \(check.name) at position \(check.position): \(check.live.entries) entries, "
                    text +=
                        check.matches
                        ? "equal to a fresh replay (sha256 \(check.live.sha256.hex))"
                        : "DIFFERS from a fresh replay (\(check.replayed.entries) entries); keys \(check.differingKeys.joined(separator: ", "))"
                }
                return text
            case .json:
                var json = JSONWriter()
                json.object { json in
                    json.member("verified", bool: checks.allSatisfy(\.matches))
                    json.member("events", integer: report.head.size)
                    json.member("root", string: report.head.root.hex)
                    if let pinned = report.pinned {
                        json.key("pinned")
                        json.write(pinned)
                    }
                    if !checks.isEmpty {
                        json.key("projections")
                        json.array { json in
                            for check in checks {
                                json.object { json in
                                    json.member("name", string: check.name)
                                    json.member("position", integer: check.position)
                                    json.member("entries", integer: check.live.entries)
                                    json.member("sha256", string: check.live.sha256.hex)
                                    json.member("matchesReplay", bool: check.matches)
                                    json.key("differingKeys")
                                    json.array { json in for key in check.differingKeys { json.string(key) } }
                                }
                            }
                        }
                    }
                }
                return String(decoding: json.bytes, as: UTF8.self)
            }
        }

        /// The bytes of 64 hexadecimal digits (a SHA-256 hash), or `nil`.
        static func bytes(hex: String) -> [UInt8]? {
            [UInt8](hex: hex).flatMap { $0.count == 32 ? $0 : nil }
        }
    }
}
