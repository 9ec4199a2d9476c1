import Foundation
import TallyLMDB
@testable import TallyStore
import Testing

/// Folds each event's data under its position, and forgets by folding the erased data instead.
private struct Remembering: Projector {
    let name = "remembering"
    let version = 1
    let eventTypes: Set<String> = []

    func apply(_ events: [RecordedEvent], to table: ProjectionTable, in txn: borrowing WriteTransaction) throws {
        for event in events { try table.put(Array(event.data), forKey: event.position.bigEndianBytes, in: txn) }
    }

    func forget(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {
        guard try table.value(forKey: event.position.bigEndianBytes, in: txn) != nil else { return }
        try table.put(Array(event.data), forKey: event.position.bigEndianBytes, in: txn)
    }
}

/// An async projection's step takes the page read and prepared ahead of it only while that page is
/// still what the writer would read: it follows the checkpoint, and nothing was erased since.
/// (`runProjections` always prefetches, so every other projection test goes through it too.)
@Suite struct PrefetchedStepTests {
    private func withRemembering(_ body: (EventLog, Int) async throws -> Void) async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try EventLog(path: path, asyncProjectors: [Remembering()])
        defer { log.close() }
        try await body(log, try #require(log.asyncProjectionIndex(named: "remembering")))
    }

    /// The read model's rows: data by position.
    private func rows(of log: EventLog) throws -> [UInt64: String] {
        try #require(
            try log.queryProjection(named: "remembering") { txn, table, _ in
                try table.scan(prefix: [], limit: .max, in: txn).reduce(into: [UInt64: String]()) { rows, entry in
                    let position = entry.key.withUnsafeBytes { UInt64(bigEndianBytes: $0) }
                    rows[position] = String(decoding: entry.value, as: UTF8.self)
                }
            })
    }

    @Test func aPageReadBeforeAnErasureIsNotFoldedAfterIt() async throws {
        try await withRemembering { log, index in
            try await log.append(try event("person-1", data: #"{"name":"Ada"}"#))
            let page = try #require(try log.prefetchProjectionStep(index, pageSize: 100))
            #expect(page.through == 1)
            _ = try await log.erase(try ErasureRequest(positions: [1], reason: "GDPR"))
            let progress = try await log.projectionStep(index, prefetched: page, pageSize: 100)
            // Folded from the log as it now stands: the erasure's own event too, and no name.
            #expect(progress.checkpoint == 2)
            let rows = try rows(of: log)
            #expect(rows[1] == "null")
            #expect(!rows.values.contains { $0.contains("Ada") })
        }
    }

    @Test func aPageThatNoLongerFollowsTheCheckpointIsReadAgain() async throws {
        try await withRemembering { log, index in
            try await log.append(try event("s-1", data: #"{"n":1}"#))
            _ = try await log.projectionStep(index, prefetched: nil, pageSize: 100)
            try await log.append(try event("s-1", data: #"{"n":2}"#))
            let page = try #require(try log.prefetchProjectionStep(index, pageSize: 100))
            #expect((page.after, page.through) == (1, 2))
            try await log.rebuildProjection(named: "remembering")  // back to checkpoint 0, table emptied
            let progress = try await log.projectionStep(index, prefetched: page, pageSize: 100)
            #expect(progress.checkpoint == 2)
            #expect(try rows(of: log) == [1: #"{"n":1}"#, 2: #"{"n":2}"#])
        }
    }

    @Test func aPageThatStillFitsIsFoldedAndMovesTheCheckpointToItsEnd() async throws {
        try await withRemembering { log, index in
            for n in 1...5 { try await log.append(try event("s-1", data: #"{"n":\#(n)}"#)) }
            let first = try #require(try log.prefetchProjectionStep(index, pageSize: 3))
            #expect((first.after, first.through, first.page.events.count) == (0, 3, 3))
            // The next page, predicted from the first one's end while it is applied.
            let second = try #require(try log.prefetchProjectionStep(index, after: first.through, pageSize: 3))
            #expect((second.after, second.through) == (3, 5))
            #expect(try await log.projectionStep(index, prefetched: first, pageSize: 3).checkpoint == 3)
            #expect(try await log.projectionStep(index, prefetched: second, pageSize: 3).checkpoint == 5)
            #expect(try log.prefetchProjectionStep(index, pageSize: 3) == nil)  // level with the head
            #expect(
                try rows(of: log) == Dictionary(uniqueKeysWithValues: (1...5).map { (UInt64($0), #"{"n":\#($0)}"#) }))
        }
    }
}
