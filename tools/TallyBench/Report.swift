import Foundation

/// Every figure's samples over the runs, and how they print: a table for people, JSON lines for tools.
struct Report {
    /// One measured figure and its sample from each run, in run order.
    struct Figure {
        /// The figure's name in JSON, such as `append-single-256`.
        let id: String
        /// The figure's name in the table.
        let label: String
        /// Extra JSON fields describing how it was measured, such as the number of appenders.
        let details: [(String, JSONValue)]
        /// One sample per run.
        var samples: [Sample] = []
    }

    /// A quotient of two figures, computed per run.
    struct Ratio {
        /// The ratio's name in JSON.
        let id: String
        /// The ratio's name in the table.
        let label: String
        /// One value per run.
        let values: [Double]
    }

    /// A goal the figures must meet, judged on the median over runs.
    struct Target {
        /// What the goal says, for people.
        let label: String
        /// The measured median.
        let value: Spread
        /// The threshold.
        let limit: Double
        /// Whether the value must be at least (`true`) or at most (`false`) the limit.
        let atLeast: Bool
        /// How the value and limit print, for example `×` or ` events/s`.
        let unit: String

        /// Whether the median meets the goal.
        var passes: Bool { atLeast ? value.median >= limit : value.median <= limit }
    }

    private(set) var figures: [Figure] = []
    private(set) var ratios: [Ratio] = []
    private(set) var targets: [Target] = []

    /// Adds `sample` to the figure `id`, creating the figure on first use.
    mutating func record(_ sample: Sample, id: String, label: String, details: [(String, JSONValue)] = []) {
        if let index = figures.firstIndex(where: { $0.id == id }) {
            figures[index].samples.append(sample)
        } else {
            figures.append(Figure(id: id, label: label, details: details, samples: [sample]))
        }
    }

    /// The samples of figure `id`, one per run.
    func samples(_ id: String) -> [Sample] { figures.first { $0.id == id }?.samples ?? [] }

    /// Adds a ratio whose value in run `i` (counting from 0) is `value(i)`.
    mutating func addRatio(id: String, label: String, runs: Int, _ value: (Int) -> Double) {
        ratios.append(Ratio(id: id, label: label, values: (0..<runs).map(value)))
    }

    /// Adds a target on the median of `values`.
    mutating func addTarget(_ label: String, values: [Double], atLeast: Bool, limit: Double, unit: String) {
        targets.append(Target(label: label, value: Spread(values), limit: limit, atLeast: atLeast, unit: unit))
    }

    // MARK: - Printing

    /// The human table: figures, then ratios, then targets.
    func table() -> String {
        var lines: [String] = []
        lines.append(
            column("figure", 50, left: true) + column("events/run", 11) + column("ev/commit", 10)
                + column("ms/commit", 10) + column("KB/commit", 10)
                + column("median ev/s", 13) + column("min ev/s", 12) + column("max ev/s", 12)
                + column("p50 ms", 9) + column("p99 ms", 9))
        for figure in figures {
            let throughput = Spread(figure.samples.map(\.eventsPerSecond))
            let events = Spread(figure.samples.map { Double($0.events) })
            let perCommit = figure.samples.compactMap(\.eventsPerCommit)
            let commitTime = figure.samples.compactMap(\.secondsPerCommit)
            let commitBytes = figure.samples.compactMap(\.writtenBytesPerCommit)
            let p50 = figure.samples.compactMap { $0.latencies?.p50 }
            let p99 = figure.samples.compactMap { $0.latencies?.p99 }
            lines.append(
                column(figure.label, 50, left: true) + column(grouped(events.median), 11)
                    + column(perCommit.isEmpty ? "" : fixed(Spread(perCommit).median, 1), 10)
                    + column(commitTime.isEmpty ? "" : fixed(Spread(commitTime).median * 1000, 3), 10)
                    + column(commitBytes.isEmpty ? "" : fixed(Spread(commitBytes).median / 1024, 1), 10)
                    + column(grouped(throughput.median), 13) + column(grouped(throughput.min), 12)
                    + column(grouped(throughput.max), 12)
                    + column(p50.isEmpty ? "" : fixed(Spread(p50).median * 1000, 3), 9)
                    + column(p99.isEmpty ? "" : fixed(Spread(p99).median * 1000, 3), 9))
        }
        lines.append("")
        lines.append(
            column("ratio (per run; raw LMDB = mean of before and after)", 76, left: true)
                + column("median", 9) + column("min", 9) + column("max", 9))
        for ratio in ratios {
            let spread = Spread(ratio.values)
            lines.append(
                column(ratio.label, 76, left: true) + column(fixed(spread.median, 3) + "x", 9)
                    + column(fixed(spread.min, 3) + "x", 9) + column(fixed(spread.max, 3) + "x", 9))
        }
        lines.append("")
        lines.append("targets (judged on the median over runs; spread in brackets)")
        for target in targets {
            let value = { (number: Double) in
                target.unit == "x" ? fixed(number, 3) + "x" : grouped(number) + target.unit
            }
            let comparison = target.atLeast ? ">=" : "<="
            lines.append(
                "  \(target.passes ? "PASS" : "FAIL")  \(target.label): \(value(target.value.median)) "
                    + "[\(value(target.value.min)) .. \(value(target.value.max))] \(comparison) \(value(target.limit))")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object per line: every figure, then every ratio, then every target.
    func jsonLines(runs: Int) -> [String] {
        var lines: [String] = []
        for figure in figures {
            let throughput = Spread(figure.samples.map(\.eventsPerSecond))
            var fields: [(String, JSONValue)] = [
                ("figure", .string(figure.id)), ("unit", .string("events/s")),
                ("median", .number(throughput.median)), ("min", .number(throughput.min)),
                ("max", .number(throughput.max)), ("runs", .integer(runs)),
                ("values", .array(throughput.values.map(JSONValue.number))),
                ("events", .array(figure.samples.map { .integer($0.events) })),
            ]
            fields += figure.details
            let perCommit = figure.samples.compactMap(\.eventsPerCommit)
            if !perCommit.isEmpty { fields.append(("events_per_commit", .number(Spread(perCommit).median))) }
            let commitTime = figure.samples.compactMap(\.secondsPerCommit)
            if !commitTime.isEmpty { fields.append(("ms_per_commit", .number(Spread(commitTime).median * 1000))) }
            let commitBytes = figure.samples.compactMap(\.writtenBytesPerCommit)
            if !commitBytes.isEmpty {
                fields.append(("written_kb_per_commit", .number(Spread(commitBytes).median / 1024)))
            }
            let bytesPerEvent = figure.samples.compactMap { sample in
                sample.writtenBytes.map { Double($0) / Double(sample.events) }
            }
            if !bytesPerEvent.isEmpty { fields.append(("written_bytes_per_event", spreadObject(bytesPerEvent))) }
            let p50 = figure.samples.compactMap { $0.latencies?.p50 }
            if !p50.isEmpty { fields.append(("p50_ms", spreadObject(p50.map { $0 * 1000 }))) }
            let p99 = figure.samples.compactMap { $0.latencies?.p99 }
            if !p99.isEmpty { fields.append(("p99_ms", spreadObject(p99.map { $0 * 1000 }))) }
            lines.append(JSONValue.object(fields).encoded)
        }
        for ratio in ratios {
            let spread = Spread(ratio.values)
            lines.append(
                JSONValue.object([
                    ("figure", .string(ratio.id)), ("unit", .string("ratio")), ("median", .number(spread.median)),
                    ("min", .number(spread.min)), ("max", .number(spread.max)), ("runs", .integer(runs)),
                    ("values", .array(spread.values.map(JSONValue.number))),
                ]).encoded)
        }
        for target in targets {
            lines.append(
                JSONValue.object([
                    ("target", .string(target.label)), ("median", .number(target.value.median)),
                    ("min", .number(target.value.min)), ("max", .number(target.value.max)),
                    ("comparison", .string(target.atLeast ? ">=" : "<=")), ("limit", .number(target.limit)),
                    ("pass", .bool(target.passes)),
                ]).encoded)
        }
        return lines
    }

    private func spreadObject(_ values: [Double]) -> JSONValue {
        let spread = Spread(values)
        return .object([("median", .number(spread.median)), ("min", .number(spread.min)), ("max", .number(spread.max))])
    }
}

/// A JSON value whose object members keep the order they were given in.
indirect enum JSONValue {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// The value as compact JSON text.
    var encoded: String {
        switch self {
        case .number(let value):
            guard value.isFinite else { return "null" }
            // Six significant digits are plenty for timings; large rates keep one decimal instead of an exponent.
            return abs(value) >= 100_000 ? String(format: "%.1f", value) : String(format: "%.6g", value)
        case .integer(let value): return String(value)
        case .string(let value): return Self.quoted(value)
        case .bool(let value): return value ? "true" : "false"
        case .array(let values): return "[" + values.map(\.encoded).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quoted($0.0) + ":" + $0.1.encoded }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// `text` padded with spaces to `width`, on the right when `left` is set, else on the left.
private func column(_ text: String, _ width: Int, left: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(width - text.count, 1))
    return left ? text + padding : padding + text
}

/// `value` rounded to a whole number with thousands separators: `1,234,567`.
func grouped(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    let digits = String(Int(value.rounded()).magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index).isMultiple(of: 3) { result.append(",") }
        result.append(digit)
    }
    return value < 0 ? "-" + result : result
}

/// `value` with `decimals` digits after the point.
private func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
