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
            guard case .event(let event) = try await next(idleTimeout: nil) else { return nil }
            return event
        }

        /// The next event, or ``SubscriptionItem/idle`` once `idleTimeout` passes with no new
        /// commit (time for a heartbeat); calling again after `idle` loses nothing.
        package mutating func next(idleTimeout: Duration?) async throws -> SubscriptionItem {
            while index == buffer.count {
                try Task.checkCancellation()
                let page = try log.read(from: next, direction: .forward, limit: pageSize, filter: filter)
                buffer = page.events
                index = 0
                if let following = page.next {
                    next = following
                } else {
                    next = page.head + 1  // every event up to the head has been considered
                    if buffer.isEmpty {
                        guard let idleTimeout else {
                            _ = try await log.waitForCommit(beyond: page.head)
                            continue
                        }
                        guard try await log.waitForCommit(beyond: page.head, timeout: idleTimeout) else { return .idle }
                    }
                }
            }
            defer { index += 1 }
            return .event(buffer[index])
        }
    }
}

/// What a subscription yields when asked with an idle timeout.
package enum SubscriptionItem: Sendable, Equatable {
    /// The next event.
    case event(RecordedEvent)
    /// Nothing was committed for the whole timeout.
    case idle
}
