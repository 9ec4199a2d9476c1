import ArgumentParser
import Foundation
import TallyClient
import TallyCore
import TallyStore

/// The table columns of an event, shared by every command that lists events.
private let eventColumns: [Column] = [
    .field("POSITION", "position"), .field("STREAM", "stream", width: 32), .field("REVISION", "revision"),
    .field("TYPE", "type", width: 24), .field("RECORDED", "recordedAt"), .field("DATA", "data", width: 60),
]

/// A page of items to print, and the cursor of the next page (`nil` on the last).
private typealias Page = (items: [[UInt8]], next: String?)

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

        @OptionGroup var source: SourceOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only streams whose names start with this.") var prefix = ""
        @Option(help: "Start after this stream name (the cursor a previous page named).") var after: String?
        @Option(help: "The most streams to list (1–10000).") var limit = 100

        func validate() throws { try validatePageSize(limit) }

        func run() async throws {
            try await Tally.reportingFailure {
                let page: Page = try await source.read { log in
                    let page = try log.streams(prefix: prefix, after: try after.map { try StreamID($0) }, limit: limit)
                    return (
                        page.streams.map { head in
                            var json = JSONWriter()
                            json.write(head)
                            return json.bytes
                        }, page.next?.rawValue
                    )
                } online: { client in
                    let answer = try await client.get(
                        "/v1/streams", query: [("prefix", prefix), ("after", after), ("limit", String(limit))])
                    let page = try ServerPage(answer, items: "streams", cursor: "after")
                    return (page.items, page.next)
                }
                Printer(format: output.format).print(
                    page.items,
                    columns: [
                        .field("STREAM", "stream", width: 200), .field("REVISION", "revision"),
                        .field("POSITION", "position"),
                    ])
                if let next = page.next { noteNextPage("--after", next) }
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

        @OptionGroup var source: SourceOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The stream's name.") var stream: String
        @Option(help: "The first revision to read (default: the first, or the last with --backward).") var from: UInt64?
        @Flag(help: "Read newest first.") var backward = false
        @Option(help: "The most events to read (1–10000).") var limit = 100

        func validate() throws { try validatePageSize(limit) }

        func run() async throws {
            try await Tally.reportingFailure {
                let page: Page = try await source.read { log in
                    let page = try log.readStream(
                        try StreamID(stream), from: from, direction: backward ? .backward : .forward, limit: limit)
                    return (page.events.map(\.json), page.next.map(String.init))
                } online: { client in
                    let answer = try await client.get(
                        "/v1/streams/\(TallyClient.pathSegment(stream))/events",
                        query: [
                            ("from", from.map(String.init)), ("direction", backward ? "backward" : nil),
                            ("limit", String(limit)),
                        ])
                    let page = try ServerPage(answer, items: "events", cursor: "from")
                    return (page.items, page.next)
                }
                Printer(format: output.format).print(page.items, columns: eventColumns)
                if let next = page.next { noteNextPage("--from", next) }
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
                  TALLY_TOKEN=… tally events --url http://tally.internal:8080 --limit 20
                """)

        @OptionGroup var source: SourceOptions
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
                let page: Page = try await source.read { log in
                    let filter = EventFilter(
                        types: Set(type), tags: Set(tag), category: category, streamPrefix: prefix)
                    let page = try log.read(from: after + 1, direction: .forward, limit: limit, filter: filter)
                    return (page.events.map(\.json), page.next.map { String($0 - 1) })
                } online: { client in
                    let query: [(String, String?)] =
                        [
                            ("after", String(after)), ("limit", String(limit)), ("category", category),
                            ("prefix", prefix),
                        ]
                        + type.map { ("type", $0) } + tag.map { ("tag", $0) }
                    let page = try ServerPage(
                        try await client.get("/v1/events", query: query), items: "events", cursor: "after")
                    return (page.items, page.next)
                }
                Printer(format: output.format).print(page.items, columns: eventColumns)
                if let next = page.next { noteNextPage("--after", next) }
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
