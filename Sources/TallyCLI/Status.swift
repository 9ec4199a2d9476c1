import ArgumentParser
import Foundation
import TallyStore
import TallyVerify

extension Tally {
    /// Reports the log's state: read-only when the data directory holds a log (safe beside
    /// `tally serve`); otherwise creates an empty log first.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Report the log's state: events, streams, Merkle root, file size, map usage (creating an empty log if there is none).",
            discussion: """
                Also available as tally stats.

                Examples:
                  tally status
                  tally status --data-dir /var/lib/tally --output json
                """,
            aliases: ["stats"])

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        @OptionGroup var store: StoreOptions
        @Option(help: "Output format.")
        var output: Format = .text

        func run() async throws {
            try await Tally.reportingFailure {
                let status: LogStatus
                if FileManager.default.fileExists(atPath: "\(store.dataDirectory)/data.mdb") {
                    let log = try ReadOnlyLog(path: store.dataDirectory)
                    defer { log.close() }
                    status = try log.status()
                } else {
                    let log = try store.openLog()
                    defer { log.close() }
                    status = try log.status()
                }
                print(try Self.render(status, dataDirectory: store.dataDirectory, as: output))
            }
        }

        /// The report, as text for people or one JSON object for scripts.
        static func render(_ status: LogStatus, dataDirectory: String, as format: Format) throws -> String {
            let report = Report(
                dataDirectory: dataDirectory, events: status.treeHead.size, streams: status.streamCount,
                merkleRoot: status.treeHead.root.hex,
                fileBytes: (try? FileManager.default.attributesOfItem(atPath: "\(dataDirectory)/data.mdb")[.size]
                    as? Int)
                    ?? 0,
                mapUsedBytes: status.usedBytes, mapSizeBytes: status.mapSize)
            switch format {
            case .text:
                return """
                    data directory  \(report.dataDirectory)
                    events          \(report.events)
                    streams         \(report.streams)
                    merkle root     \(report.merkleRoot)
                    file size       \(report.fileBytes) bytes
                    map used        \(report.mapUsedBytes) of \(report.mapSizeBytes) bytes
                    """
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                return String(decoding: try encoder.encode(report), as: UTF8.self)
            }
        }

        struct Report: Codable, Equatable {
            var dataDirectory: String
            var events: UInt64
            var streams: Int
            var merkleRoot: String
            /// The size of `data.mdb` on disk.
            var fileBytes: Int
            var mapUsedBytes: Int
            var mapSizeBytes: Int
        }
    }
}
