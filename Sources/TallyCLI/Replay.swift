import ArgumentParser
import Foundation
import TallyStore
import TallyVerify

extension Tally {
    /// Answers a projection query as of an earlier point of the log.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Query a projection as it was at an earlier position or time, folded afresh from the log.",
            discussion: """
                Copies the log's events up to the point into a temporary scratch log, folds a fresh
                copy of every read model from them, answers the query, and deletes the copy. The
                live data directory is only read, so it runs beside tally serve. Time moves with
                position in a log, so --to-time stops at the last event recorded at or before it.

                Examples:
                  tally replay account-balances a-1 --to-position 41000
                  tally replay trial-balance --to-time 2026-09-30T23:59:59Z
                """)

        @OptionGroup var store: OfflineOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var query: ProjectionQuery
        @Option(help: "Replay up to and including this position.") var toPosition: UInt64?
        @Option(help: "Replay every event recorded at or before this ISO 8601 time (e.g. 2026-09-30T23:59:59Z).")
        var toTime: String?

        func validate() throws {
            guard (toPosition == nil) != (toTime == nil) else {
                throw ValidationError("Give exactly one of --to-position and --to-time.")
            }
            if let toTime, Self.timestamp(toTime) == nil {
                throw ValidationError("--to-time must be an ISO 8601 time such as 2026-09-30T23:59:59Z.")
            }
        }

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                let position: UInt64
                if let toPosition {
                    position = toPosition
                } else if let toTime, let time = Self.timestamp(toTime) {
                    position = try Self.lastPosition(in: log, recordedAtOrBefore: time)
                } else {
                    throw ValidationError("Give exactly one of --to-position and --to-time.")
                }
                var progress = Progress("replaying", total: position)
                let replay = try await ReplayedLog(
                    of: log, to: position, inlineProjectors: Tally.inlineProjectors,
                    asyncProjectors: Tally.asyncProjectors
                ) { progress.update($0) }
                defer { replay.close() }
                progress.finish(position)
                let (documents, reflected) = try query.read(from: replay.log)
                query.print(documents, at: reflected, as: output.format)
            }
        }

        /// `text` as a timestamp: RFC 3339 with or without fractional seconds.
        static func timestamp(_ text: String) -> Timestamp? {
            if let exact = Timestamp(iso8601: text) { return exact }
            for options: ISO8601DateFormatter.Options in [
                [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
            ] {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = options
                if let date = formatter.date(from: text) {
                    return Timestamp(microsecondsSince1970: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
                }
            }
            return nil
        }

        /// The last position whose event was recorded at or before `time` (0 if none), by binary
        /// search: positions are committed in time order.
        static func lastPosition(in log: ReadOnlyLog, recordedAtOrBefore time: Timestamp) throws -> UInt64 {
            var low: UInt64 = 0  // recorded at or before `time` (0: before everything)
            var high = try log.treeHead().size + 1  // after `time` (head + 1: after everything)
            while high - low > 1 {
                let middle = low + (high - low) / 2
                guard let event = try log.event(at: middle) else {
                    throw EventLogError.corrupted("no event at position \(middle)")
                }
                if event.recordedAt <= time { low = middle } else { high = middle }
            }
            return low
        }
    }
}
