import ArgumentParser
import Foundation
import TallyCore
import TallyStore

/// The columns and JSON of an event, shared by every command that lists events.
private var eventColumns: [(header: String, cell: (RecordedEvent) -> String)] {
    [
        ("POSITION", { String($0.position) }), ("STREAM", { truncated($0.stream.rawValue, to: 32) }),
        ("REVISION", { String($0.revision) }), ("TYPE", { truncated($0.type, to: 24) }),
        ("RECORDED", { $0.recordedAt.iso8601 }),
        ("DATA", { truncated(String(decoding: $0.data, as: UTF8.self), to: 60) }),
    ]
}

private func eventJSON(_ event: RecordedEvent, _ json: inout JSONWriter) { json.write(event) }

extension Tally {
    /// Lists streams by name prefix.
    struct Streams: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List streams, in name order, with their last revision and position.",
            discussion: """
                Examples:
                  tally streams --prefix account-
                  tally streams --after account-a-9 --limit 50 --output json
                """)

        @OptionGroup var store: OfflineOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only streams whose names start with this.") var prefix = ""
        @Option(help: "Start after this stream name (the cursor a previous page named).") var after: String?
        @Option(help: "The most streams to list (1–10000).") var limit = 100

        func validate() throws { try validatePageSize(limit) }

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let page = try log.streams(prefix: prefix, after: try after.map { try StreamID($0) }, limit: limit)
                Printer(format: output.format).print(
                    page.streams,
                    columns: [
                        ("STREAM", { $0.stream.rawValue }), ("REVISION", { String($0.revision) }),
                        ("POSITION", { String($0.position) }),
                    ],
                    json: { head, json in
                        json.object { json in
                            json.member("stream", string: head.stream.rawValue)
                            json.member("revision", integer: head.revision)
                            json.member("position", integer: head.position)
                        }
                    })
                if let next = page.next { noteNextPage("--after", next.rawValue) }
            }
        }
    }

    /// Reads one stream.
    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read one stream's events, oldest first or newest first.",
            discussion: """
                Examples:
                  tally read account-a-1
                  tally read account-a-1 --backward --limit 10
                  tally read orders-7 --from 100 --output ndjson
                """)

        @OptionGroup var store: OfflineOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The stream's name.") var stream: String
        @Option(help: "The first revision to read (default: the first, or the last with --backward).") var from: UInt64?
        @Flag(help: "Read newest first.") var backward = false
        @Option(help: "The most events to read (1–10000).") var limit = 100

        func validate() throws { try validatePageSize(limit) }

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let page = try log.readStream(
                    try StreamID(stream), from: from, direction: backward ? .backward : .forward, limit: limit)
                Printer(format: output.format).print(page.events, columns: eventColumns, json: eventJSON)
                if let next = page.next { noteNextPage("--from", String(next)) }
            }
        }
    }

    /// Reads the whole log, optionally filtered.
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read the log's events in order, optionally filtered by type, tag, category or stream prefix.",
            discussion: """
                Examples:
                  tally events --limit 20
                  tally events --after 1000 --type deposited --type withdrawn
                  tally events --tag account:a-1 --output ndjson
                """)

        @OptionGroup var store: OfflineOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Start after this position.") var after: UInt64 = 0
        @Option(help: "Only events of this type (repeatable: any of them).") var type: [String] = []
        @Option(help: "Only events with this tag (repeatable: all of them).") var tag: [String] = []
        @Option(help: "Only events of streams in this category (the name before the first '-').") var category: String?
        @Option(help: "Only events of streams whose names start with this.") var prefix: String?
        @Option(help: "The most events to read (1–10000).") var limit = 100

        func validate() throws { try validatePageSize(limit) }

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let filter = EventFilter(
                    types: Set(type), tags: Set(tag), category: category, streamPrefix: prefix)
                let page = try log.read(from: after + 1, direction: .forward, limit: limit, filter: filter)
                Printer(format: output.format).print(page.events, columns: eventColumns, json: eventJSON)
                if let next = page.next { noteNextPage("--after", String(next - 1)) }
            }
        }
    }
}

/// Refuses page sizes outside 1…10,000 (exit 64).
private func validatePageSize(_ limit: Int) throws {
    guard (1...10_000).contains(limit) else {
        throw ValidationError("--limit must be between 1 and 10000, not \(limit).")
    }
}
