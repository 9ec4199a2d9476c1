import ArgumentParser
import Foundation
import TallyClient
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
                cross-process notification), or with --url follows the server's live feed
                (GET /v1/events/live); resumable from any position either way.

                Examples:
                  tally tail
                  tally tail --after 41000 --type deposited
                  tally tail --prefix orders- --output ndjson | jq .data
                  tally tail --url http://127.0.0.1:8080 --token "$(cat tally-data/admin.key)"
                """)

        @OptionGroup var source: SourceOptions
        @Option(help: "Output format: table or ndjson (default: table on a terminal, ndjson otherwise).")
        var output: OutputFormat?
        @Option(help: "Start after this position (default: the current head: only new events).") var after: UInt64?
        @Option(help: "Only events of this type (repeatable: any of them).") var type: [String] = []
        @Option(help: "Only events with this tag (repeatable: all of them).") var tag: [String] = []
        @Option(help: "Only events of streams in this category.") var category: String?
        @Option(help: "Only events of streams whose names start with this.") var prefix: String?
        @Option(help: "Milliseconds between polls of a data directory when nothing is new (10–10000).")
        var interval = 200

        func validate() throws {
            guard (10...10_000).contains(interval) else {
                throw ValidationError("--interval must be between 10 and 10000, not \(interval).")
            }
            if output == .json { throw ValidationError("--output json is not available for a feed: use ndjson.") }
        }

        func run() async throws {
            try await Tally.reportingFailure {
                let ndjson = (output ?? (isatty(STDOUT_FILENO) == 1 ? .table : .ndjson)) == .ndjson
                // Written straight to the descriptor: a feed must not wait in a buffer.
                func emit(_ events: [[UInt8]]) {
                    var out: [UInt8] = []
                    for event in events {
                        out += ndjson ? event + [UInt8(ascii: "\n")] : Self.tableLine(JSONFields(event))
                    }
                    if !out.isEmpty { FileHandle.standardOutput.write(Data(out)) }
                }
                switch source.source {
                case .directory(let path):
                    let log = try Tally.openReadOnlyLog(in: path)
                    defer { log.close() }
                    let filter = EventFilter(types: Set(type), tags: Set(tag), category: category, streamPrefix: prefix)
                    var next = try (after ?? log.treeHead().size) + 1
                    while !Task.isCancelled {
                        let page = try log.read(from: next, direction: .forward, limit: 1000, filter: filter)
                        emit(page.events.map(\.json))
                        next = page.next ?? page.head + 1
                        if page.next == nil { try await Task.sleep(for: .milliseconds(interval)) }
                    }
                case .server(let url, let token):
                    try await TallyClient.with(url: url, token: token) { try await follow($0, emit: emit) }
                    throw TallyClientError.unreachable(url: url, reason: "the server ended the feed")
                }
            }
        }

        /// Prints the server's live feed, from `--after` or else from its current head.
        private func follow(_ client: TallyClient, emit: ([[UInt8]]) -> Void) async throws {
            var start = after ?? 0
            if after == nil {
                let page = JSONFields(try await client.get("/v1/events", query: [("limit", "1")]).body)
                guard let head = UInt64(page.text("head")) else {
                    throw TallyClientError.unexpectedAnswer("a page of events without its head")
                }
                start = head
            }
            let query: [(String, String?)] =
                [("category", category), ("prefix", prefix)] + type.map { ("type", $0) } + tag.map { ("tag", $0) }
            try await client.follow(after: start, query: query) { line in emit([Array(line)]) }
        }

        private static func tableLine(_ event: JSONFields) -> [UInt8] {
            let fields = ["position", "recordedAt"].map(event.text).joined(separator: "  ")
            let data = truncated(event.text("data"), to: 80)
            return Array(
                "\(fields)  \(event.text("stream"))@\(event.text("revision"))  \(event.text("type"))  \(data)\n".utf8)
        }
    }
}
