import Dispatch
import Foundation
import TallyLMDB
import TallyVerify
import Testing

@testable import TallyStore

/// The index tail: events after `indexed-through` are indexed in memory and folded into
/// `stream-index`, `stream-heads` and the type, tag and category indexes in one pass. Every read must see each event exactly once,
/// whether it is in the tail, folded, or folded while the read's snapshot was open.
@Suite struct IndexTailTests {
    /// What the log should hold: per stream, its events' positions in revision order; per filter
    /// by type, tag or category, the positions it selects.
    private struct Expected {
        var streams: [String: [UInt64]] = [:]
        var filtered: [EventFilter: [UInt64]] = [:]

        mutating func add(_ receipt: AppendReceipt) {
            for event in receipt.events {
                streams[event.stream.rawValue, default: []].append(event.position)
                filtered[EventFilter(types: [event.type]), default: []].append(event.position)
                filtered[EventFilter(category: event.stream.category), default: []].append(event.position)
                for tag in event.tags { filtered[EventFilter(tags: [tag]), default: []].append(event.position) }
            }
        }
    }

    private static let names = ["account-1", "account-2", "account-3", "order-1", "order-2"]

    private func options(foldEvents: Int, foldKeys: Int = 1000) -> EventLog.Options {
        var options = EventLog.Options()
        options.indexTailEvents = foldEvents
        options.indexTailKeys = foldKeys
        return options
    }

    /// Appends one to three events over one or two streams, of two types and three tags, chosen by `step`.
    @discardableResult
    private func appendStep(_ step: Int, to log: EventLog, expected: inout Expected) async throws -> AppendReceipt {
        let first = Self.names[step % Self.names.count]
        let second = Self.names[(step * 3 + 1) % Self.names.count]
        func next(_ name: String) throws -> ProposedEvent {
            try event(name, step.isMultiple(of: 2) ? "opened" : "moved", tags: ["tag-\(step % 3)"])
        }
        let events =
            switch step % 3 {
            case 0: [try next(first)]
            case 1: [try next(first), try next(first)]
            default: [try next(first), try next(second), try next(first)]
            }
        let receipt = try await log.append(AppendRequest(events: events))
        expected.add(receipt)
        return receipt
    }

    /// Checks every way of reading streams against `expected`.
    private func check(_ log: some LogReading, against expected: Expected) throws {
        for (name, positions) in expected.streams {
            let id = try stream(name)
            let forward = try log.readStream(id, from: 0, direction: .forward, limit: 1000)
            #expect(forward.events.map(\.position) == positions, "\(name) forward")
            #expect(forward.events.map(\.revision) == Array(0..<UInt64(positions.count)), "\(name) revisions")
            let backward = try log.readStream(id, from: nil, direction: .backward, limit: 1000)
            #expect(backward.events.map(\.position) == positions.reversed(), "\(name) backward")
            #expect(try log.streamHead(id)?.position == positions.last, "\(name) head")
            let byPrefix = try log.read(
                from: 1, direction: .forward, limit: 1000, filter: EventFilter(streamPrefix: name))
            #expect(byPrefix.events.map(\.position) == positions, "\(name) by prefix")
        }
        var listed: [StreamHead] = []
        var after: StreamID?
        repeat {
            let page = try log.streams(prefix: "", after: after, limit: 2)
            listed += page.streams
            after = page.next
        } while after != nil
        #expect(listed.map(\.stream.rawValue) == expected.streams.keys.sorted())
        #expect(listed.map(\.revision) == listed.map { UInt64(expected.streams[$0.stream.rawValue]!.count - 1) })
        #expect(
            try log.streams(prefix: "order-", limit: 10).streams.map(\.stream.rawValue)
                == expected.streams.keys.filter { $0.hasPrefix("order-") }.sorted())
        #expect(try log.status().streamCount == expected.streams.count)
        for (filter, positions) in expected.filtered {
            for direction in [ReadDirection.forward, .backward] {
                var read: [UInt64] = []
                var next: UInt64? = nil
                repeat {
                    let page = try log.read(from: next, direction: direction, limit: 2, filter: filter)
                    read += page.events.map(\.position)
                    next = page.next
                } while next != nil
                #expect(read == (direction == .forward ? positions : positions.reversed()), "\(filter) \(direction)")
            }
        }
    }

    private func indexedThrough(_ log: EventLog) throws -> UInt64 {
        try log.environment.read { txn in try log.reader.indexedThrough(in: txn) }
    }

    @Test func everyReadSeesEveryEventOnceAsTheTailFillsAndFolds() async throws {
        try await withLog(options: options(foldEvents: 7)) { log in
            var expected = Expected()
            var folds = Set<UInt64>()
            var sawATail = false
            for step in 0..<40 {
                try await appendStep(step, to: log, expected: &expected)
                try check(log, against: expected)
                let through = try indexedThrough(log)
                let head = try log.treeHead().size
                folds.insert(through)
                sawATail = sawATail || through < head
            }
            #expect(folds.count > 5, "the tail was folded several times")
            #expect(sawATail, "reads also ran with events only in the tail")
        }
    }

    @Test func truncatingAndFoldingKeepExactlyThePositionsOnTheirSide() throws {
        // Positions 11–16 alternate between `b-1` (new: revisions 0–2) and `a-1` (revisions 5–7).
        var index = TailIndex(indexedThrough: 10, through: 10)
        for position in UInt64(11)...16 {
            let isA = position.isMultiple(of: 2)
            index.record(
                TailEntry(
                    stream: try stream(isA ? "a-1" : "b-1"), revision: (isA ? 5 : 0) + (position - 11) / 2,
                    position: position, type: isA ? "moved" : "opened", tags: ["x"]))
        }
        index.truncate(after: 14)  // a batch that wrote 15 and 16 did not commit
        var all = TailView(index: index, head: .max)
        #expect(index.through == 14)
        #expect(all.entries(of: try stream("a-1")).run?.positions == [12, 14])
        #expect(all.entries(of: try stream("b-1")).run?.positions == [11, 13])
        #expect(all.positions(of: PostingKey(index: .tag, name: "x")) == [11, 12, 13, 14])
        index.dropFolded(through: 12)
        all = TailView(index: index, head: .max)
        #expect(index.indexedThrough == 12 && index.count == 2)
        #expect(all.entries(of: try stream("a-1")).run?.firstRevision == 6)
        #expect(all.entries(of: try stream("a-1")).run?.positions == [14])
        #expect(all.entries(of: try stream("b-1")).run?.firstRevision == 1)
        #expect(all.entries(of: try stream("b-1")).run?.positions == [13])
        #expect(all.positions(of: PostingKey(index: .type, name: "opened")) == [13])
        #expect(all.positions(of: PostingKey(index: .category, name: "a")) == [14])
        let view = TailView(index: index, head: 13)
        #expect(view.head(of: try stream("a-1")) == nil, "position 14 is after the snapshot's head")
        #expect(view.entries(of: try stream("b-1")).position(ofRevision: 1) == 13)
        #expect(view.positions(of: PostingKey(index: .tag, name: "x")) == [13])
    }

    @Test func aTailOfManyKeysIsFoldedBeforeItHasManyEvents() async throws {
        // Keys: the streams, the type `happened` and the category `a`.
        try await withLog(options: options(foldEvents: 1000, foldKeys: 5)) { log in
            var expected = Expected()
            for name in ["a-1", "a-2"] { expected.add(try await log.append(try event(name), try event(name))) }
            #expect(try indexedThrough(log) == 0, "four keys stay in the tail")
            expected.add(try await log.append(try event("a-3")))
            #expect(try indexedThrough(log) == 5, "the third stream is the fifth key: it folds the tail")
            try check(log, against: expected)
        }
    }

    @Test func expectationsHoldAcrossFoldsAndReopens() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for round in 0..<4 {
            // A large fold size leaves the tail in memory only: reopening must index it again.
            let log = try EventLog(path: path, options: options(foldEvents: round.isMultiple(of: 2) ? 3 : 1000))
            for offset in 0..<5 {
                let revision = UInt64(round * 5 + offset)
                let expectation: ExpectedRevision = revision == 0 ? .noStream : .exact(revision - 1)
                try await log.append(try event("account-1"), expected: expectation)
                await #expect(throws: EventLogError.self) {
                    try await log.append(try event("account-1"), expected: expectation)
                }
            }
            log.close()
        }
        let log = try ReadOnlyLog(path: path)
        defer { log.close() }
        #expect(try log.readStream(try stream("account-1"), limit: 100).events.map(\.revision) == Array(0..<20))
    }

    /// Reads a log as a read-only process does (``ReadOnlyLog``): its tail indexes what its reads see.
    private struct SelfIndexingReader: LogReading {
        let environment: Environment
        let reader: LogReader

        init(_ log: EventLog) {
            environment = log.environment
            reader = LogReader(schema: log.reader.schema, tail: IndexTail(indexesItself: true))
        }
    }

    @Test func aReadOnlyProcessIndexesTheTailAsTheWriterGrowsAndFoldsIt() async throws {
        // LMDB opens an environment once per process, so the read-only side shares the writer's.
        try await withLog(options: options(foldEvents: 5)) { log in
            let reader = SelfIndexingReader(log)
            var expected = Expected()
            for step in 0..<25 {
                try await appendStep(step, to: log, expected: &expected)
                try check(reader, against: expected)
            }
        }
    }

    @Test func aSnapshotTakenBeforeAFoldStillReadsItsOwnTail() async throws {
        try await withLog(options: options(foldEvents: 4)) { log in
            var expected = Expected()
            // Three events: all in the tail, none folded yet.
            for step in 0..<2 { try await appendStep(step, to: log, expected: &expected) }
            let before = expected
            // A thread of its own holds the snapshot open (a read transaction stays on its thread)
            // while this task appends enough to fold the tail, then reads through the snapshot.
            let snapshotOpen = DispatchSemaphore(value: 0)
            let appended = DispatchSemaphore(value: 0)
            async let asOfSnapshot = withCheckedContinuation { continuation in
                Thread {
                    continuation.resume(
                        returning: Result {
                            try log.environment.read { txn in
                                let indexedThrough = try log.reader.indexedThrough(in: txn)
                                snapshotOpen.signal()
                                appended.wait()
                                let streams = try before.streams.keys.map { name in
                                    let page = try log.reader.readStream(
                                        try stream(name), from: 0, direction: .forward, limit: 100, in: txn)
                                    return (name, page.events.map(\.position))
                                }
                                return (indexedThrough, Dictionary(uniqueKeysWithValues: streams))
                            }
                        })
                }.start()
            }
            while snapshotOpen.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(1)) }
            for step in 2..<8 { try await appendStep(step, to: log, expected: &expected) }
            appended.signal()
            let (folded, streams) = try await asOfSnapshot.get()
            let indexedNow = try indexedThrough(log)
            #expect(folded == 0 && indexedNow > 3, "the appends folded the snapshot's tail meanwhile")
            #expect(streams == before.streams, "every stream as of the snapshot")
            try check(log, against: expected)
        }
    }

    @Test func aLogFromBeforeTheTailIsStampedThreeWithEveryEventIndexed() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var expected = Expected()
        do {
            // Folding at every commit leaves the stream index as a version-2 build wrote it.
            let log = try EventLog(path: path, options: options(foldEvents: 1))
            for step in 0..<6 { try await appendStep(step, to: log, expected: &expected) }
            log.close()
        }
        try overwriteFormatVersion(at: path, with: 2)
        try removeStreamIndexThrough(at: path)
        do {
            let old = try ReadOnlyLog(path: path)
            defer { old.close() }
            try check(old, against: expected)
        }
        let log = try EventLog(path: path)
        defer { log.close() }
        let version = try log.environment.read { txn in
            try txn.withValue(forKey: LogSchema.formatVersionKey, in: log.reader.schema.meta) {
                UInt32(bigEndianBytes: $0)
            }
        }
        #expect(version == 3)
        let head = try log.treeHead().size
        #expect(try indexedThrough(log) == head)
        for step in 6..<12 { try await appendStep(step, to: log, expected: &expected) }
        try check(log, against: expected)
    }
}

private func removeStreamIndexThrough(at path: String) throws {
    let environment = try Environment(path: path)
    defer { environment.close() }
    let meta = try #require(try environment.openDatabase("meta"))
    try environment.write { txn in _ = try txn.delete(Array("indexed-through".utf8), in: meta) }
}
