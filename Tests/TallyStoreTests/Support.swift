import Foundation
import TallyLMDB
import TallyStore

/// A fresh temporary directory path (not yet created), unique to the caller.
func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tally-store-\(UUID().uuidString)").path
}

/// Opens a log in a fresh temporary directory, runs `body`, then closes the log and deletes the directory.
func withLog<R>(
    options: EventLog.Options = .init(), _ body: (EventLog) async throws -> R
) async throws -> R {
    let path = temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let log = try EventLog(path: path, options: options)
    defer { log.close() }
    return try await body(log)
}

func stream(_ name: String) throws -> StreamID { try StreamID(name) }

/// An event with a small JSON payload; `data` defaults to `{"n":1}`.
func event(
    _ streamName: String, _ type: String = "happened", id: UUID? = nil, tags: [String] = [], data: String = #"{"n":1}"#,
    metadata: String = ""
) throws -> ProposedEvent {
    try ProposedEvent(
        stream: StreamID(streamName), id: id, type: type, tags: tags, data: Array(data.utf8),
        metadata: Array(metadata.utf8))
}

extension EventLog {
    /// Appends `events` to one stream with an expectation.
    @discardableResult
    func append(_ events: ProposedEvent..., expected: ExpectedRevision = .any) async throws -> AppendReceipt {
        try await append(AppendRequest(stream: events[0].stream, expected: expected, events: events))
    }

    /// Every event of the log, read forward in pages.
    func allEvents(filter: EventFilter = .all, pageSize: Int = 1000) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var from: UInt64? = 1
        while let start = from {
            let page = try read(from: start, direction: .forward, limit: pageSize, filter: filter)
            events += page.events
            from = page.next
        }
        return events
    }
}
