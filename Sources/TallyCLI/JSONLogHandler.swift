import Foundation
import Logging
import Synchronization
import TallyCore
import TallyStore

/// Writes each log record as one JSON object on its own line of standard output:
/// `{"time":…,"level":…,"label":…,"message":…, <metadata>…}`.
///
/// Metadata keys keep their dotted names (`request.id`, `http.status`); nested metadata is
/// written as text. Lines are written whole, one at a time, so concurrent records never interleave.
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    private let label: String

    /// A handler for `label` that drops records below `level`.
    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var json = JSONWriter()
        json.object { json in
            json.member("time", string: Timestamp.now.iso8601)
            json.member("level", string: event.level.rawValue)
            json.member("label", string: label)
            json.member("message", string: event.message.description)
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                json.member(key, string: value.description)
            }
        }
        let line = json.bytes + [UInt8(ascii: "\n")]
        Self.output.withLock { _ in FileHandle.standardOutput.write(Data(line)) }
    }

    private static let output = Mutex(())
}
