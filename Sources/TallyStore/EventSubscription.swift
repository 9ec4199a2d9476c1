/// A live, ordered feed of the log's events from a position: catch-up, then each commit as it lands.
///
/// Reads the log in pages (no per-event copies are queued for it), so a slow
/// consumer holds nothing back but itself. Ends by throwing ``EventLogError/closed``
/// when the log closes, or `CancellationError` when its task is cancelled.
package struct EventSubscription: AsyncSequence, Sendable {
    package typealias Element = RecordedEvent

    let log: EventLog
    let from: UInt64
    let filter: EventFilter
    let pageSize: Int

    package func makeAsyncIterator() -> Iterator {
        Iterator(log: log, next: from, filter: filter, pageSize: pageSize)
    }

    /// Walks the subscription; not shared between tasks.
    package struct Iterator: AsyncIteratorProtocol {
        let log: EventLog
        var next: UInt64
        let filter: EventFilter
        let pageSize: Int
        private var buffer: [RecordedEvent] = []
        private var index = 0

        init(log: EventLog, next: UInt64, filter: EventFilter, pageSize: Int) {
            self.log = log
            self.next = next
            self.filter = filter
            self.pageSize = pageSize
        }

        package mutating func next() async throws -> RecordedEvent? {
            while index == buffer.count {
                try Task.checkCancellation()
                let page = try log.read(from: next, direction: .forward, limit: pageSize, filter: filter)
                buffer = page.events
                index = 0
                if let following = page.next {
                    next = following
                } else {
                    next = page.head + 1  // every event up to the head has been considered
                    if buffer.isEmpty { _ = try await log.waitForCommit(beyond: page.head) }
                }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}
