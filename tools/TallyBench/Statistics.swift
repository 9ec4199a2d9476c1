import Foundation

/// The median and spread of one quantity over several runs.
struct Spread: Sendable {
    /// The middle value (the mean of the two middle values for an even count).
    let median: Double
    /// The smallest value.
    let min: Double
    /// The largest value.
    let max: Double
    /// Every value, in run order.
    let values: [Double]

    /// Summarizes `values`, which must not be empty.
    init(_ values: [Double]) {
        precondition(!values.isEmpty, "a spread needs at least one value")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
        min = sorted.first!
        max = sorted.last!
        self.values = values
    }
}

/// Latency percentiles of one measurement, in seconds.
struct Latencies: Sendable {
    /// The median latency.
    let p50: Double
    /// The 99th-percentile latency.
    let p99: Double
    /// How many latencies were measured.
    let count: Int

    /// Summarizes `samples` (seconds) by nearest rank; `nil` if there are none.
    init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        p50 = Self.percentile(0.50, of: sorted)
        p99 = Self.percentile(0.99, of: sorted)
        count = sorted.count
    }

    private static func percentile(_ fraction: Double, of sorted: [Double]) -> Double {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(rank, 1) - 1]
    }
}

/// What one figure measured in one run.
struct Sample: Sendable {
    /// The events appended, read or received.
    var events: Int
    /// The wall-clock time they took.
    var seconds: Double
    /// Per-operation latencies (per append, or per commit for raw LMDB), if measured.
    var latencies: Latencies? = nil
    /// The mean number of events one LMDB commit carried, if known.
    var eventsPerCommit: Double? = nil
    /// The bytes the process handed to `write` calls meanwhile (LMDB's page writes), if known.
    var writtenBytes: Int? = nil

    /// The throughput.
    var eventsPerSecond: Double { Double(events) / seconds }

    /// The wall-clock time per commit (the measurement's time over its commits), if commits are known.
    var secondsPerCommit: Double? { eventsPerCommit.map { seconds / (Double(events) / $0) } }

    /// The bytes written per commit, if both are known.
    var writtenBytesPerCommit: Double? {
        guard let writtenBytes, let eventsPerCommit else { return nil }
        return Double(writtenBytes) / Double(events) * eventsPerCommit
    }

    /// The throughput with what each commit carried, took and wrote, as far as known: one progress line's worth.
    var summary: String {
        var parts = ["\(grouped(eventsPerSecond)) ev/s"]
        if let eventsPerCommit { parts.append(String(format: "%.1f ev/commit", eventsPerCommit)) }
        if let secondsPerCommit { parts.append(String(format: "%.3f ms/commit", secondsPerCommit * 1000)) }
        if let writtenBytesPerCommit { parts.append(String(format: "%.1f KB/commit", writtenBytesPerCommit / 1000)) }
        return parts.joined(separator: ", ")
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// The CPU time (user and system, every thread) this process has used so far, in seconds: what
/// other work on a shared machine does not distort, unlike wall time.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
