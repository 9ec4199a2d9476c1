import ArgumentParser
import Foundation
import TallyCore
import TallyStore
import TallyVerify

extension Tally {
    /// Follows the log as it grows, like `tail -f`.
    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow the log: print new events as they are committed, like tail -f (Ctrl-C stops).",
            discussion: """
                Reads the data directory read-only, polling for new commits (LMDB has no
                cross-process notification); resumable from any position.

                Examples:
                  tally tail
                  tally tail --after 41000 --type deposited
                  tally tail --prefix orders- --output ndjson | jq .data
                """)

        @OptionGroup var store: OfflineOptions
        @Option(help: "Output format: table or ndjson (default: table on a terminal, ndjson otherwise).")
        var output: OutputFormat?
        @Option(help: "Start after this position (default: the current head: only new events).") var after: UInt64?
        @Option(help: "Only events of this type (repeatable: any of them).") var type: [String] = []
        @Option(help: "Only events with this tag (repeatable: all of them).") var tag: [String] = []
        @Option(help: "Only events of streams in this category.") var category: String?
        @Option(help: "Only events of streams whose names start with this.") var prefix: String?
        @Option(help: "Milliseconds between polls when nothing is new (10–10000).") var interval = 200

        func validate() throws {
            guard (10...10_000).contains(interval) else {
                throw ValidationError("--interval must be between 10 and 10000, not \(interval).")
            }
            if output == .json { throw ValidationError("--output json is not available for a feed: use ndjson.") }
        }

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let filter = EventFilter(types: Set(type), tags: Set(tag), category: category, streamPrefix: prefix)
                let ndjson = (output ?? (isatty(STDOUT_FILENO) == 1 ? .table : .ndjson)) == .ndjson
                var next = try (after ?? log.treeHead().size) + 1
                while !Task.isCancelled {
                    let page = try log.read(from: next, direction: .forward, limit: 1000, filter: filter)
                    var out: [UInt8] = []
                    for event in page.events { out += ndjson ? event.ndjsonLine : Self.tableLine(event) }
                    // Written straight to the descriptor: a feed must not wait in a buffer.
                    if !out.isEmpty { FileHandle.standardOutput.write(Data(out)) }
                    next = page.next ?? page.head + 1
                    if page.next == nil { try await Task.sleep(for: .milliseconds(interval)) }
                }
            }
        }

        private static func tableLine(_ event: RecordedEvent) -> [UInt8] {
            let data = truncated(String(decoding: event.data, as: UTF8.self), to: 80)
            return Array(
                "\(event.position)  \(event.recordedAt.iso8601)  \(event.stream.rawValue)@\(event.revision)  \(event.type)  \(data)\n"
                    .utf8)
        }
    }
}
