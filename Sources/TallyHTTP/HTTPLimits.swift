/// The limits the HTTP edge enforces, each documented in the README and tested at and just over its value.
package struct HTTPLimits: Sendable, Equatable {
    /// The largest request body accepted (413 beyond it).
    package var maxBodyBytes = 1 << 20
    /// The most events one append may carry (422 beyond it).
    package var maxEventsPerAppend = 1000
    /// The most items one page may hold; larger `limit`s are refused (400).
    package var maxPageSize = 1000
    /// The page size when a request names none.
    package var defaultPageSize = 100
    /// The longest a read may wait for a projection to reach `minPosition`.
    package var maxProjectionWait = Duration.seconds(10)
    /// The longest a command or append may wait for the writer before it is answered 503.
    package var requestTimeout = Duration.seconds(30)
    /// The most events an as-of query (`asOf`) folds afresh: it replays the log from position 1
    /// into a scratch copy, so it is for short histories; `tally replay` answers any point offline.
    package var maxAsOfEvents: UInt64 = 100_000
    /// How many as-of queries may replay at once (503 `busy` beyond).
    package var maxConcurrentAsOf = 2
    /// How often a live subscription sends a heartbeat when no event arrives.
    package var heartbeatInterval = Duration.seconds(15)

    /// The documented defaults.
    package init() {}
}
