import Foundation
import TallyLMDB
@testable import TallyStore
import TallyVerify
import Testing

/// The chunked, parallel verification passes exactly the logs the in-order definition passes, with
/// the same report, and `verify` names the same first failure as the definition, wherever a chunk
/// or batch begins or ends. Chunks here are 4 positions and batches 3 chunks (12 positions), so a
/// log of a few dozen events crosses many edges.
@Suite struct ChunkedVerificationTests {
    private let chunking = ChunkedVerification(chunkLevel: 2, chunksPerBatch: 3)

    /// What a verification came to: its report, or the failure it named.
    private enum Outcome: Equatable {
        case verified(VerificationReport)
        case failed(VerificationFailure)

        init(_ body: () throws -> VerificationReport) throws {
            do {
                self = .verified(try body())
            } catch let failure as VerificationFailure {
                self = .failed(failure)
            }
        }
    }

    /// A closed log of `count` events (ten per stream, data `{"n":<position>}`) and its tree head.
    private func filledLog(at path: String, count: Int) async throws -> TreeHead {
        let log = try EventLog(path: path)
        defer { log.close() }
        var appended = 0
        while appended < count {
            let events = try (appended..<min(appended + 10, count)).map { index in
                try event("s-\(appended / 10)", tags: ["t"], data: #"{"n":\#(index + 1)}"#, metadata: #"{"m":1}"#)
            }
            try await log.append(AppendRequest(events: events))
            appended += events.count
        }
        return try log.treeHead()
    }

    private func withLog(count: Int, _ body: (String, TreeHead) async throws -> Void) async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path, try await filledLog(at: path, count: count))
    }

    /// Changes the closed log's environment raw, as someone with disk access would.
    private func tamper(_ path: String, _ change: (borrowing WriteTransaction, Database, Database) throws -> Void)
        throws
    {
        let environment = try Environment(path: path)
        defer { environment.close() }
        let events = try #require(try environment.openDatabase("events"))
        let merkle = try #require(try environment.openDatabase("merkle"))
        try environment.write { txn in try change(txn, events, merkle) }
    }

    /// The chunked pass alone: its report, or `nil` when it found something wrong.
    private func chunkedPass(_ path: String, against pinned: TreeHead?) throws -> VerificationReport? {
        let log = try ReadOnlyLog(path: path)
        defer { log.close() }
        return try log.environment.read { txn in
            try chunking.verify(txn, schema: log.reader.schema, against: pinned, progress: { _ in })
        }
    }

    /// `verify` with small chunks, and the in-order definition, on the same log.
    private func bothOutcomes(_ path: String, against pinned: TreeHead?) throws -> (chunked: Outcome, inOrder: Outcome)
    {
        let log = try ReadOnlyLog(path: path)
        defer { log.close() }
        return (
            try Outcome { try log.verify(against: pinned, chunking: chunking) },
            try Outcome { try log.verifyInOrder(against: pinned) }
        )
    }

    @Test(arguments: [0, 1, 3, 4, 5, 12, 13, 48, 77])
    func aCleanLogPassesTheChunkedPassWithTheDefinitionsReportAtEveryPinnedSize(count: Int) async throws {
        try await withLog(count: count) { path, head in
            let log = try ReadOnlyLog(path: path)
            let pinnedHeads = try (0...UInt64(count)).map { try log.treeHead(size: $0) }
            log.close()
            for pinned in [nil] + pinnedHeads {
                let report = try #require(
                    try chunkedPass(path, against: pinned), "pinned \(String(describing: pinned))")
                #expect(report == VerificationReport(head: head, pinned: pinned))
                let (chunked, inOrder) = try bothOutcomes(path, against: pinned)
                #expect(chunked == inOrder)
                #expect(chunked == .verified(report))
            }
        }
    }

    /// A changed byte in the event at each first and last position of a chunk and a batch.
    @Test(arguments: [1, 4, 5, 11, 12, 13, 16, 17, 24, 25, 47, 48, 49, 72, 73, 76, 77] as [UInt64])
    func aChangedEventAtAChunkEdgeIsNamedAsTheDefinitionNamesIt(position: UInt64) async throws {
        try await withLog(count: 77) { path, pinned in
            try tamper(path) { txn, events, _ in
                var record = try #require(try txn.value(forKey: position.bigEndianBytes, in: events))
                record[record.count - 1] = UInt8(ascii: "{")  // the metadata's closing brace
                try txn.put(record, forKey: position.bigEndianBytes, in: events)
            }
            #expect(try chunkedPass(path, against: pinned) == nil)
            for head in [pinned, nil] {
                let (chunked, inOrder) = try bothOutcomes(path, against: head)
                #expect(chunked == .failed(.leafMismatch(position: position)))
                #expect(chunked == inOrder)
            }
        }
    }

    /// A changed stored node inside a chunk (level 1 of 14), completed at a chunk's end (level 2
    /// of 16), and one the fold checks above the chunks (levels 3 and 4 of 16, 5 of 64).
    @Test(arguments: [(14, 1), (16, 2), (16, 3), (16, 4), (64, 5)] as [(UInt64, Int)])
    func aChangedNodeIsNamedAsTheDefinitionNamesIt(position: UInt64, level: Int) async throws {
        try await withLog(count: 77) { path, pinned in
            try tamper(path) { txn, _, merkle in
                var entry = try #require(try txn.value(forKey: position.bigEndianBytes, in: merkle))
                entry[level * 32 + 5] ^= 0x01
                try txn.put(entry, forKey: position.bigEndianBytes, in: merkle)
            }
            #expect(try chunkedPass(path, against: pinned) == nil)
            let (chunked, inOrder) = try bothOutcomes(path, against: pinned)
            #expect(chunked == .failed(.nodeMismatch(position: position)))
            #expect(chunked == inOrder)
        }
    }

    @Test func aStrayKeyBetweenTwoChunksIsNamedAsTheDefinitionNamesIt() async throws {
        try await withLog(count: 30) { path, pinned in
            // Sorts after position 12's key and before 13's: the definition takes it for position 13.
            try tamper(path) { txn, _, merkle in
                try txn.put(Array(repeating: 0, count: 32), forKey: UInt64(12).bigEndianBytes + [0], in: merkle)
            }
            #expect(try chunkedPass(path, against: pinned) == nil)
            let (chunked, inOrder) = try bothOutcomes(path, against: pinned)
            #expect(chunked == .failed(.nodeMismatch(position: 13)))
            #expect(chunked == inOrder)
        }
    }

    @Test func aDeletedEventAndAForeignCheckpointAreNamedAsTheDefinitionNamesThem() async throws {
        try await withLog(count: 40) { path, _ in
            let forged = TreeHead(size: 22, root: Array(repeating: 7, count: 32))
            #expect(try chunkedPass(path, against: forged) == nil)
            var outcomes = try bothOutcomes(path, against: forged)
            #expect(outcomes.chunked == outcomes.inOrder)
            guard case .failed(.checkpointMismatch(pinned: forged, actual: _)) = outcomes.chunked else {
                Issue.record("expected a checkpoint mismatch, got \(outcomes.chunked)")
                return
            }
            try tamper(path) { txn, events, _ in _ = try txn.delete(UInt64(25).bigEndianBytes, in: events) }
            outcomes = try bothOutcomes(path, against: nil)
            #expect(outcomes.chunked == .failed(.missingEvent(position: 25)))
            #expect(outcomes.chunked == outcomes.inOrder)
        }
    }

    @Test func progressComesAfterEachFullBatchAndNeverGoesBack() async throws {
        try await withLog(count: 77) { path, pinned in
            let log = try ReadOnlyLog(path: path)
            var reported: [UInt64] = []
            _ = try log.verify(against: pinned, chunking: chunking) { reported.append($0) }
            #expect(reported == [12, 24, 36, 48, 60, 72])
            log.close()
            try tamper(path) { txn, events, _ in
                var record = try #require(try txn.value(forKey: UInt64(50).bigEndianBytes, in: events))
                record[record.count - 1] = UInt8(ascii: "{")
                try txn.put(record, forKey: UInt64(50).bigEndianBytes, in: events)
            }
            let tampered = try ReadOnlyLog(path: path)
            defer { tampered.close() }
            reported = []
            #expect(throws: VerificationFailure.leafMismatch(position: 50)) {
                try tampered.verify(against: pinned, chunking: chunking) { reported.append($0) }
            }
            #expect(reported == [12, 24, 36, 48])  // the walk in order from 1 repeats none of them
        }
    }
}
