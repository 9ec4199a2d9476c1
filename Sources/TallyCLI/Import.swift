import ArgumentParser
import Foundation
import TallyStore
import TallyVerify

extension Tally {
    /// Rebuilds a log from an export: same positions, ids, bytes and times, so the same Merkle tree.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load an export (NDJSON from tally export) into an empty data directory, exactly as it was.",
            discussion: """
                Every event goes back at its position with its id, bytes and time, so the result has
                the exported log's Merkle root; --expect-root checks it (tally export prints the root
                on stderr). Writes the data directory itself, so tally serve must not run on it.
                Each batch commits atomically: after Ctrl-C or a crash, run the same import again
                and it resumes (events already there are checked, not written twice).

                Examples:
                  tally import events.ndjson --data-dir ./restored
                  gunzip -c tail.ndjson.gz | tally import - --expect-root 9f2c…
                """)

        @OptionGroup var store: OfflineOptions
        @Argument(help: "The export to read, or - for stdin (the default).") var file = "-"
        @Option(help: "The Merkle root (hex) the imported log must have; exit 65 if it differs.")
        var expectRoot: String?
        @Option(help: "Events per commit (1–10000).") var batch = 1000
        @Option(help: "Output format: text or json.") var output: SummaryFormat = .text

        func validate() throws {
            guard (1...10_000).contains(batch) else {
                throw ValidationError("--batch must be between 1 and 10000, not \(batch).")
            }
            if let expectRoot, expectRoot.count != 64 || !expectRoot.allSatisfy(\.isHexDigit) {
                throw ValidationError("--expect-root must be 64 hexadecimal digits.")
            }
        }

        func run() async throws {
            try await Tally.reportingFailure {
                let input =
                    file == "-" ? FileHandle.standardInput : try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
                let log = try Tally.openLog(in: store.path)
                defer { log.close() }
                var progress = Progress("importing")
                var lines = LineReader(input)
                var pending: [ExportedEvent] = []
                var read: UInt64 = 0
                var written: UInt64 = 0
                func commit() async throws {
                    written += UInt64(try await log.restore(pending).events.count)
                    read += UInt64(pending.count)
                    pending.removeAll(keepingCapacity: true)
                    progress.update(read)
                }
                while let (number, line) = try lines.next() {
                    if line.isEmpty { continue }
                    do {
                        pending.append(try ExportedEvent(json: line))
                    } catch {
                        throw ImportLineError(line: number, error: error)
                    }
                    if pending.count == batch { try await commit() }
                }
                if !pending.isEmpty { try await commit() }
                progress.finish(read)
                let head = try log.treeHead()
                if let expectRoot, head.root.hex != expectRoot.lowercased() {
                    throw ImportLineError.rootMismatch(expected: expectRoot.lowercased(), actual: head)
                }
                print(
                    summary(
                        "imported \(written) events (\(read - written) already there); the log holds", head: head,
                        directory: store.path, as: output))
            }
        }
    }
}

/// Why an import stopped at a line of its input, or ended with the wrong tree.
enum ImportLineError: Error, CustomStringConvertible {
    case line(Int, any Error)
    case rootMismatch(expected: String, actual: TreeHead)

    init(line: Int, error: any Error) { self = .line(line, error) }

    var description: String {
        switch self {
        case .line(let number, let error): "line \(number): \(Tally.describe(error))"
        case .rootMismatch(let expected, let actual):
            "the imported log's Merkle root at size \(actual.size) is \(actual.root.hex), not \(expected): the export is not the log it was taken from"
        }
    }
}

/// Reads a file or pipe line by line in 1 MiB chunks, numbering the lines from 1.
struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var number = 0
    private var atEnd = false

    init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its `\n` (and any `\r`), or `nil` at the end of the input.
    mutating func next() throws -> (number: Int, line: [UInt8])? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[start..<newline])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                start = newline + 1
                number += 1
                return (number, line)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                number += 1
                return (number, Array(buffer[start...]))
            }
            buffer.removeFirst(start)
            start = 0
            if let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                buffer += chunk
            } else {
                atEnd = true
            }
        }
    }
}
