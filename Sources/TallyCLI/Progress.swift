import Foundation

/// A progress line on stderr — done, rate, percentage and ETA — redrawn at most five times a
/// second, and only when stderr is a terminal: scripts and logs never see it.
struct Progress {
    private let label: String
    private let unit: String
    private let total: UInt64?
    private let enabled: Bool
    private let started = ContinuousClock.now
    private var lastDrawn: ContinuousClock.Instant?

    /// A progress line for `label` counting `unit`s, out of `total` when known.
    init(_ label: String, unit: String = "events", total: UInt64? = nil) {
        self.label = label
        self.unit = unit
        self.total = total
        enabled = isatty(STDERR_FILENO) == 1
    }

    /// Redraws the line for `done` units, unless it was drawn less than 200 ms ago.
    mutating func update(_ done: UInt64) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let lastDrawn, now - lastDrawn < .milliseconds(200) { return }
        lastDrawn = now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.line(label, done, total, unit, now - started)).utf8))
    }

    /// Draws the final count and ends the line.
    func finish(_ done: UInt64) {
        guard enabled else { return }
        let line = Self.line(label, done, total, unit, ContinuousClock.now - started)
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)\n".utf8))
    }

    /// `exporting 12000/50000 events  24%  8000 events/s  ETA 0:04`.
    static func line(_ label: String, _ done: UInt64, _ total: UInt64?, _ unit: String, _ elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var text = "\(label) \(done)"
        if let total, total > 0 {
            text += "/\(total) \(unit)  \(min(100, done * 100 / total))%"
        } else {
            text += " \(unit)"
        }
        text += "  \(Int(rate)) \(unit)/s"
        if let total, total > done, rate > 0 {
            let eta = Int((Double(total - done) / rate).rounded(.up))
            text += "  ETA \(eta / 60):\(String(format: "%02d", eta % 60))"
        }
        return text
    }
}
