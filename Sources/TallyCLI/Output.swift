import ArgumentParser
import Foundation
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
    func openLog() throws -> ReadOnlyLog {
        try ReadOnlyLog(path: path, inlineProjectors: Tally.inlineProjectors, asyncProjectors: Tally.asyncProjectors)
    }
}

/// Prints items as a table, one JSON array, or NDJSON.
struct Printer {
    let format: OutputFormat

    /// Prints `items`: `columns` give the table's headers and cells; `json` writes one item.
    func print<Item>(
        _ items: [Item], columns: [(header: String, cell: (Item) -> String)], json: (Item, inout JSONWriter) -> Void
    ) {
        switch format {
        case .table:
            let rows = items.map { item in columns.map { $0.cell(item) } }
            var widths = columns.map { $0.header.count }
            for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
            func line(_ cells: [String]) -> String {
                zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces)
            }
            Swift.print(line(columns.map(\.header)))
            for row in rows { Swift.print(line(row)) }
        case .json:
            var writer = JSONWriter()
            writer.array { writer in for item in items { json(item, &writer) } }
            Swift.print(String(decoding: writer.bytes, as: UTF8.self))
        case .ndjson:
            for item in items {
                var writer = JSONWriter()
                json(item, &writer)
                Swift.print(String(decoding: writer.bytes, as: UTF8.self))
            }
        }
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
