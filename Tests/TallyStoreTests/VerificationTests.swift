import Foundation
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

/// `verify(against:)` recomputes every leaf and node; each way of tampering with a stored log is
/// caught, against a pinned checkpoint where the tree alone cannot tell.
@Suite struct VerificationTests {
    /// A closed log of 40 events (one stream per five events, data `{"n":<position>}` and metadata
    /// `{"m":"<position>"}`), and the tree head an auditor pinned at its end.
    private func pinnedLog(at path: String, dataOffset: Int = 0) async throws -> TreeHead {
        let log = try EventLog(path: path)
        defer { log.close() }
        for batch in 0..<8 {
            let events = try (1...5).map { index in
                let position = batch * 5 + index
                return try event(
                    "s-\(batch)", data: #"{"n":\#(position + dataOffset)}"#, metadata: #"{"m":"\#(position)"}"#)
            }
            try await log.append(AppendRequest(events: events))
        }
        return try log.treeHead()
    }

    /// Opens the closed log's environment raw, as someone with disk access would, and changes it.
    private func tamper(_ path: String, _ change: (borrowing WriteTransaction, Database, Database) throws -> Void)
        throws
    {
        let environment = try Environment(path: path)
        defer { environment.close() }
        let events = try #require(try environment.openDatabase("events"))
        let merkle = try #require(try environment.openDatabase("merkle"))
        try environment.write { txn in try change(txn, events, merkle) }
    }

    /// `record` with the first occurrence of `text` replaced by `replacement` (same length).
    private func replacing(_ text: String, with replacement: String, in record: [UInt8]) throws -> [UInt8] {
        let needle = Array(text.utf8)
        let start = try #require(
            (0...(record.count - needle.count)).first { record[$0..<$0 + needle.count].elementsEqual(needle) })
        var changed = record
        changed.replaceSubrange(start..<start + needle.count, with: Array(replacement.utf8))
        return changed
    }

    private func withPinnedLog(_ body: (String, TreeHead) async throws -> Void) async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path, try await pinnedLog(at: path))
    }

    private func verify(_ path: String, against pinned: TreeHead?) throws -> VerificationReport {
        let log = try ReadOnlyLog(path: path)
        defer { log.close() }
        return try log.verify(against: pinned)
    }

    @Test func anUntouchedLogVerifiesAgainstItsCheckpointAndAnEarlierOne() async throws {
        try await withPinnedLog { path, pinned in
            let report = try verify(path, against: pinned)
            #expect(report.head == pinned)
            let log = try ReadOnlyLog(path: path)
            let earlier = try log.treeHead(size: 13)
            log.close()
            #expect(try verify(path, against: earlier).head == pinned)
            #expect(try verify(path, against: TreeHead(size: 0, root: MerkleHash.empty)).head == pinned)
        }
    }

    @Test func aChangedPayloadByteIsCaughtAtItsPosition() async throws {
        try await withPinnedLog { path, pinned in
            try tamper(path) { txn, events, _ in
                let record = try #require(try txn.value(forKey: UInt64(7).bigEndianBytes, in: events))
                try txn.put(
                    try replacing(#""n":7"#, with: #""n":9"#, in: record), forKey: UInt64(7).bigEndianBytes, in: events)
            }
            #expect(throws: VerificationFailure.leafMismatch(position: 7)) { try verify(path, against: pinned) }
            #expect(throws: VerificationFailure.leafMismatch(position: 7)) { try verify(path, against: nil) }
        }
    }

    @Test func changedMetadataIsCaught() async throws {
        try await withPinnedLog { path, pinned in
            try tamper(path) { txn, events, _ in
                let record = try #require(try txn.value(forKey: UInt64(22).bigEndianBytes, in: events))
                try txn.put(
                    try replacing(#""m":"22""#, with: #""m":"23""#, in: record), forKey: UInt64(22).bigEndianBytes,
                    in: events)
            }
            #expect(throws: VerificationFailure.leafMismatch(position: 22)) { try verify(path, against: pinned) }
        }
    }

    @Test func twoSwappedEventsAreCaught() async throws {
        try await withPinnedLog { path, pinned in
            try tamper(path) { txn, events, _ in
                let fifth = try #require(try txn.value(forKey: UInt64(5).bigEndianBytes, in: events))
                let sixth = try #require(try txn.value(forKey: UInt64(6).bigEndianBytes, in: events))
                try txn.put(sixth, forKey: UInt64(5).bigEndianBytes, in: events)
                try txn.put(fifth, forKey: UInt64(6).bigEndianBytes, in: events)
            }
            #expect(throws: VerificationFailure.leafMismatch(position: 5)) { try verify(path, against: pinned) }
        }
    }

    @Test func aDeletedEventIsCaught() async throws {
        try await withPinnedLog { path, pinned in
            try tamper(path) { txn, events, merkle in
                _ = try txn.delete(UInt64(10).bigEndianBytes, in: events)
                _ = try txn.delete(UInt64(10).bigEndianBytes, in: merkle)
            }
            #expect(throws: VerificationFailure.missingEvent(position: 10)) { try verify(path, against: pinned) }
        }
    }

    @Test func anAlteredStoredNodeIsCaught() async throws {
        try await withPinnedLog { path, pinned in
            try tamper(path) { txn, _, merkle in
                var entry = try #require(try txn.value(forKey: UInt64(16).bigEndianBytes, in: merkle))
                entry[40] ^= 0x01  // inside the level-1 node that leaf 16 completed
                try txn.put(entry, forKey: UInt64(16).bigEndianBytes, in: merkle)
            }
            #expect(throws: VerificationFailure.nodeMismatch(position: 16)) { try verify(path, against: pinned) }
        }
    }

    /// Cutting the end off leaves a valid, smaller tree: only a pinned checkpoint can tell.
    @Test func aTruncatedLogIsCaughtOnlyAgainstACheckpoint() async throws {
        try await withPinnedLog { path, pinned in
            try tamper(path) { txn, events, merkle in
                for position in UInt64(35)...40 {
                    _ = try txn.delete(position.bigEndianBytes, in: events)
                    _ = try txn.delete(position.bigEndianBytes, in: merkle)
                }
            }
            #expect(throws: VerificationFailure.shorterThanCheckpoint(size: 34, pinned: pinned)) {
                try verify(path, against: pinned)
            }
            #expect(try verify(path, against: nil).head.size == 34)
        }
    }

    /// A whole history rewritten with a valid new tree verifies on its own (the documented limit);
    /// the checkpoint pinned before the rewrite catches it.
    @Test func aRewrittenHistoryWithAValidTreeIsCaughtOnlyAgainstACheckpoint() async throws {
        try await withPinnedLog { path, pinned in
            let forged = temporaryPath()
            defer { try? FileManager.default.removeItem(atPath: forged) }
            let forgedHead = try await pinnedLog(at: forged, dataOffset: 1000)
            #expect(try verify(forged, against: nil).head == forgedHead)
            #expect(throws: VerificationFailure.checkpointMismatch(pinned: pinned, actual: forgedHead)) {
                try verify(forged, against: pinned)
            }
            _ = path
        }
    }
}
