import ArgumentParser
import Foundation
import TallyClient
import TallyCore
import TallyStore

/// How a command prints what it read.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns for people.
    case table
    /// One JSON document.
    case json
    /// One JSON object per line.
    case ndjson
}

/// The `--output` option of every reading command: a table on a terminal, NDJSON otherwise.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: table, json or ndjson (default: table on a terminal, ndjson otherwise).")
    var output: OutputFormat?

    /// The format asked for, or the default for where stdout goes.
    var format: OutputFormat { output ?? (isatty(STDOUT_FILENO) == 1 ? .table : .ndjson) }
}

/// Options of the commands that read a data directory offline.
struct OfflineOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help:
            "Directory holding the LMDB environment, opened read-only (safe while tally serve runs) [TALLY_DATA_DIR] (default: ./tally-data)."
    )
    var dataDirectory: String?

    /// The data directory: the flag, else `TALLY_DATA_DIR`, else `./tally-data`.
    var path: String { dataDirectory ?? ProcessInfo.processInfo.environment["TALLY_DATA_DIR"] ?? "./tally-data" }

    /// Opens the log read-only, with the ledger's inline projection named.
    func openLog() throws -> ReadOnlyLog { try Tally.openReadOnlyLog(in: path) }
}

/// Where a reading command reads: a data directory, read-only, or a running server.
///
/// `--url` reads through the server, `--data-dir` the directory; with neither, `TALLY_URL`
/// (when set) selects the server, and otherwise `TALLY_DATA_DIR` or `./tally-data` is read.
struct SourceOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help:
            "Read this data directory, read-only (safe while tally serve runs) [TALLY_DATA_DIR] (default: ./tally-data)."
    )
    var dataDirectory: String?
    @Option(help: "Read through the server at this URL instead [TALLY_URL].") var url: String?
    @Option(help: "An API key for --url [TALLY_TOKEN].") var token: String?

    func validate() throws {
        if dataDirectory != nil, url != nil { throw ValidationError("Give --data-dir or --url, not both.") }
    }

    /// Where to read.
    enum Source {
        case directory(String)
        case server(url: String, token: String?)
    }

    var source: Source {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.value.isEmpty }
        if let url { return .server(url: url, token: token ?? environment["TALLY_TOKEN"]) }
        if let dataDirectory { return .directory(dataDirectory) }
        if let url = environment["TALLY_URL"] { return .server(url: url, token: token ?? environment["TALLY_TOKEN"]) }
        return .directory(environment["TALLY_DATA_DIR"] ?? "./tally-data")
    }

    /// Runs `offline` on the log read-only, or `online` with a client of the server, and returns what it returns.
    func read<R>(offline: (ReadOnlyLog) throws -> R, online: (TallyClient) async throws -> R) async throws -> R {
        switch source {
        case .directory(let path):
            let log = try Tally.openReadOnlyLog(in: path)
            defer { log.close() }
            return try offline(log)
        case .server(let url, let token):
            return try await TallyClient.with(url: url, token: token, online)
        }
    }
}

/// A page the server answered: the exact JSON of each element of its `items` array, and the
/// value of `cursor` in its `next` link (`nil` on the last page).
struct ServerPage {
    let items: [[UInt8]]
    let next: String?
    let fields: JSONFields

    init(_ answer: TallyClient.Answer, items member: String, cursor: String) throws {
        fields = JSONFields(answer.body)
        guard let array = fields.raw(member).map(Array.init) else {
            throw TallyClientError.unexpectedAnswer("it has no \(member)")
        }
        items = try JSONValidator.topLevelSpans(of: array, as: .data).map { Array(array[$0.range]) }
        let link = fields.text("next")
        next = URLComponents(string: link)?.queryItems?.first { $0.name == cursor }?.value
    }
}

/// One column of a table: its header and how to read its cell from an item's JSON members.
struct Column: Sendable {
    let header: String
    let cell: @Sendable (JSONFields) -> String

    /// The member `name`: strings without quotes, anything else as its JSON text, cut to `width`.
    static func field(_ header: String, _ name: String, width: Int = 40) -> Column {
        Column(header: header) { truncated($0.text(name), to: width) }
    }
}

/// The top-level members of one JSON object, each as its exact bytes.
struct JSONFields {
    private let members: [String: ArraySlice<UInt8>]

    /// The members of `object`; none if it is not a valid JSON object.
    init(_ object: [UInt8]) {
        var members: [String: ArraySlice<UInt8>] = [:]
        if object.first == UInt8(ascii: "{"), let spans = try? JSONValidator.topLevelSpans(of: object, as: .data) {
            for span in spans { if let name = span.name { members[name] = object[span.range] } }
        }
        self.members = members
    }

    /// The member's JSON text, exactly as written; `nil` if absent.
    func raw(_ name: String) -> ArraySlice<UInt8>? { members[name] }

    /// A string member's value, or any other member's JSON text; empty if absent.
    func text(_ name: String) -> String {
        guard let raw = members[name] else { return "" }
        if raw.first == UInt8(ascii: "\""), let string = try? JSONDecoder().decode(String.self, from: Data(raw)) {
            return string
        }
        return String(decoding: raw, as: UTF8.self)
    }
}

/// Prints items — each one JSON object — as a table, one JSON array, or NDJSON.
struct Printer {
    let format: OutputFormat

    /// Prints `items`; `columns` give the table's headers and cells.
    func print(_ items: [[UInt8]], columns: [Column]) {
        var out: [UInt8] = []
        switch format {
        case .table:
            let rows = items.map { item in
                let fields = JSONFields(item)
                return columns.map { $0.cell(fields) }
            }
            var widths = columns.map { $0.header.count }
            for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
            func line(_ cells: [String]) -> String {
                zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces) + "\n"
            }
            out += line(columns.map(\.header)).utf8
            for row in rows { out += line(row).utf8 }
        case .json:
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += item
            }
            out += Array("]\n".utf8)
        case .ndjson:
            for item in items { out += item + [UInt8(ascii: "\n")] }
        }
        FileHandle.standardOutput.write(Data(out))
    }
}

/// Text of at most `width` characters, ending in `…` when cut.
func truncated(_ text: some StringProtocol, to width: Int) -> String {
    text.count <= width ? String(text) : String(text.prefix(width - 1)) + "…"
}

/// Tells the user on stderr how to get the next page, when there is one.
func noteNextPage(_ option: String, _ value: String) {
    FileHandle.standardError.write(Data("tally: more results follow; continue with \(option) \(value)\n".utf8))
}
