import ArgumentParser
import Foundation
import TallyStore
import TallyVerify

extension Tally {
    /// Writes every event as NDJSON, exactly as stored.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write the log's events to stdout as NDJSON, one event per line, data and metadata byte for byte.",
            discussion: """
                Reads page by page from one position on, so it runs in constant memory beside a
                serving tally; the events committed while it runs are included up to where it gets.
                Ends by printing the Merkle root at the last exported position on stderr: tally
                import --expect-root checks a rebuilt log against it.

                Examples:
                  tally export > events.ndjson
                  tally export --after 100000 --data-dir /var/lib/tally | gzip > tail.ndjson.gz
                """)

        @OptionGroup var store: OfflineOptions
        @Option(help: "Start after this position.") var after: UInt64 = 0

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let head = try log.treeHead().size
                var progress = Progress("exporting", total: head > after ? head - after : 0)
                var next: UInt64? = after + 1
                var last = after
                while let from = next {
                    let page = try log.read(from: from, direction: .forward, limit: 1000)
                    FileHandle.standardOutput.write(Data(page.events.flatMap(\.ndjsonLine)))
                    last = page.events.last?.position ?? last
                    progress.update(last - after)
                    next = page.next
                }
                progress.finish(last - after)
                let root = try log.treeHead(size: last).root.hex
                FileHandle.standardError.write(
                    Data("tally: exported \(last - after) events; Merkle root at size \(last): \(root)\n".utf8))
            }
        }
    }
}
