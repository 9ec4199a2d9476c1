import Foundation
import Synchronization
import TallyLMDB
import TallyStore
import Testing

/// Records the size of every page it is given, and folds each event's position.
private final class PageRecorder: Sendable {
    let pages = Mutex<[Int]>([])
}

private struct RecordingProjector: Projector {
    let name = "pages"
    let version: Int
    let eventTypes: Set<String> = []
    let recorder: PageRecorder

    func apply(_ events: [RecordedEvent], to table: ProjectionTable, in txn: borrowing WriteTransaction) throws {
        recorder.pages.withLock { $0.append(events.count) }
        for event in events { try table.put([1], forKey: event.position.bigEndianBytes, in: txn) }
    }
}

/// 48 events of 512 KiB: 24 MiB of records, more than one projection step may read (16 MiB).
private func appendLargeEvents(to log: EventLog) async throws {
    let data = #"{"pad":""# + String(repeating: "x", count: 512 << 10) + #""}"#
    for _ in 0..<48 { try await log.append(try event("large-1", data: data)) }
}

@Suite("Projection pages")
struct ProjectionFeedTests {
    @Test func anAsyncStepOverLargeEventsReadsABoundedPageAndStillFoldsEveryEvent() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = PageRecorder()
        let log = try EventLog(path: path, asyncProjectors: [RecordingProjector(version: 1, recorder: recorder)])
        defer { log.close() }
        try await appendLargeEvents(to: log)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { do { try await log.runProjections() } catch is CancellationError {} }
            let reached = try await log.waitForProjection(named: "pages", toReach: 48, timeout: .seconds(60))
            #expect(reached == 48)
            group.cancelAll()
        }
        let pages = recorder.pages.withLock { $0 }
        #expect(pages.reduce(0, +) == 48)
        #expect(pages.count >= 2)
        #expect(pages.allSatisfy { $0 <= 33 })  // 32 records of just over 512 KiB reach 16 MiB
    }

    @Test func anInlineRebuildOverLargeEventsReadsBoundedPages() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let log = try EventLog(path: path)
            defer { log.close() }
            try await appendLargeEvents(to: log)
        }
        let recorder = PageRecorder()
        let log = try EventLog(path: path, inlineProjectors: [RecordingProjector(version: 2, recorder: recorder)])
        defer { log.close() }
        let pages = recorder.pages.withLock { $0 }
        #expect(pages.reduce(0, +) == 48)
        #expect(pages.count >= 2)
        #expect(pages.allSatisfy { $0 <= 33 })
    }
}
