import TallyLMDB
import TallyStore

/// Measures Tally's appends, reads and subscriptions through `EventLog`'s API.
enum TallyFigures {
    /// Opens a fresh log at `path` with the default (durable) options and a map that needs no growth.
    static func openLog(at path: String, mapSize: Int) throws -> EventLog {
        var options = EventLog.Options()
        options.environment.mapSize = mapSize
        return try EventLog(path: path, options: options)
    }

    /// Appends each warm-up event alone, unmeasured, so the log's databases and pages exist before timing.
    static func warmUp(_ log: EventLog, with events: [ProposedEvent]) async throws {
        for event in events {
            _ = try await log.append(AppendRequest(stream: event.stream, expected: .any, events: [event]))
        }
    }

    /// Appends `requests` from `appenders` concurrent tasks, each looping `append` over its share,
    /// and measures throughput and per-append latency.
    ///
    /// Appenders stop taking new requests once `budget` has passed, so a slow disk shortens the
    /// measurement instead of stretching it.
    static func append(
        _ requests: [AppendRequest], to log: EventLog, appenders: Int, budget: Duration
    ) async throws -> Sample {
        let shares = (0..<appenders).map { first in
            stride(from: first, to: requests.count, by: appenders).map { requests[$0] }
        }
        let writtenBefore = writtenBytesSoFar()
        let start = ContinuousClock.now
        let deadline = start + budget
        let parts = try await withThrowingTaskGroup(of: AppenderResult.self) { group in
            for share in shares {
                group.addTask {
                    var result = AppenderResult()
                    result.latencies.reserveCapacity(share.count)
                    for request in share {
                        guard ContinuousClock.now < deadline else { break }
                        let begun = ContinuousClock.now
                        _ = try await log.append(request)
                        result.latencies.append((ContinuousClock.now - begun).seconds)
                        result.events += request.events.count
                    }
                    return result
                }
            }
            var parts: [AppenderResult] = []
            for try await part in group { parts.append(part) }
            return parts
        }
        let seconds = (ContinuousClock.now - start).seconds
        return Sample(
            events: parts.reduce(0) { $0 + $1.events }, seconds: seconds,
            latencies: Latencies(parts.flatMap(\.latencies)), writtenBytes: written(since: writtenBefore))
    }

    /// What one appender task did.
    private struct AppenderResult: Sendable {
        var events = 0
        var latencies: [Double] = []
    }

    /// The mean number of events per commit from position `from` on.
    ///
    /// The writer stamps every event of one group commit with the same `recordedAt`, and a
    /// durable commit takes far longer than the microsecond the stamp resolves, so distinct
    /// stamps count commits.
    static func eventsPerCommit(in log: EventLog, from: UInt64) throws -> Double {
        var stamps = Set<Int64>()
        var events = 0
        var next: UInt64? = from
        while let position = next {
            let page = try log.read(from: position, direction: .forward, limit: 1000)
            for event in page.events { stamps.insert(event.recordedAt.microsecondsSince1970) }
            events += page.events.count
            next = page.next
        }
        return Double(events) / Double(max(stamps.count, 1))
    }

    // MARK: - Reads

    /// Reads the whole log forward in pages of 1,000, touching each event's decoded payload and type.
    ///
    /// - Returns: The events read and a checksum of what was touched.
    static func readLog(_ log: EventLog, filter: EventFilter = .all) throws -> (events: Int, checksum: Int) {
        var events = 0
        var checksum = 0
        var next: UInt64? = 1
        while let position = next {
            let page = try log.read(from: position, direction: .forward, limit: 1000, filter: filter)
            for event in page.events { checksum &+= touch(event) }
            events += page.events.count
            next = page.next
        }
        return (events, checksum)
    }

    /// Reads each of `streams` completely, in pages of 100 through `readStream`, touching each event.
    static func readStreams(_ streams: [StreamID], in log: EventLog) throws -> (events: Int, checksum: Int) {
        var events = 0
        var checksum = 0
        for stream in streams {
            var next: UInt64? = 0
            while let revision = next {
                let page = try log.readStream(stream, from: revision, direction: .forward, limit: 100)
                for event in page.events { checksum &+= touch(event) }
                events += page.events.count
                next = page.next
            }
        }
        return (events, checksum)
    }

    /// Subscribes from position 1 and receives `count` events, touching each.
    static func catchUp(_ log: EventLog, count: Int) async throws -> (events: Int, checksum: Int) {
        var events = 0
        var checksum = 0
        guard count > 0 else { return (0, 0) }
        for try await event in log.subscribe(from: 1) {
            checksum &+= touch(event)
            events += 1
            if events == count { break }  // a subscription never ends by itself
        }
        return (events, checksum)
    }

    /// Every stream whose name starts with `prefix`, listed in pages outside any measurement.
    static func streams(prefix: String, in log: EventLog) throws -> [StreamID] {
        var streams: [StreamID] = []
        var after: StreamID?
        repeat {
            let list = try log.streams(prefix: prefix, after: after, limit: 1000)
            streams += list.streams.map(\.stream)
            after = list.next
        } while after != nil
        return streams
    }

    /// Decodes the fields a consumer would use, so a read costs what it costs a real reader.
    private static func touch(_ event: RecordedEvent) -> Int {
        event.data.count &+ event.type.utf8.count &+ Int(truncatingIfNeeded: event.position)
    }

    /// Runs `pass` repeatedly until at least `minimum` has passed (and at most `maxPasses` times),
    /// and measures the events all passes together handled.
    ///
    /// - Throws: ``BenchmarkError`` if a pass handled other than `expected` events.
    static func repeatedly(
        atLeast minimum: Duration, maxPasses: Int = 50, expected: Int,
        _ pass: () async throws -> (events: Int, checksum: Int)
    ) async throws -> Sample {
        var events = 0
        var passes = 0
        let start = ContinuousClock.now
        repeat {
            let result = try await pass()
            guard result.events == expected else {
                throw BenchmarkError("a read pass saw \(result.events) events, expected \(expected)")
            }
            guard result.checksum != 0 || expected == 0 else { throw BenchmarkError("a read pass touched no bytes") }
            events += result.events
            passes += 1
        } while passes < maxPasses && ContinuousClock.now - start < minimum
        return Sample(events: events, seconds: (ContinuousClock.now - start).seconds)
    }
}
