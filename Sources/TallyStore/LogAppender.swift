import Crypto
import Foundation
import TallyLMDB
import TallyVerify

/// The writer's in-memory view of the committed log: the Merkle frontier (whose size is the head).
struct LogState: Sendable {
    var frontier: MerkleFrontier
    var head: UInt64 { frontier.size }
}

/// Where one append's events went, before its batch commits.
struct AppendedEvents {
    /// The events as stored.
    let events: [RecordedEvent]
    let streamRevisions: [StreamID: UInt64]

    /// The receipt, once the batch holding these events has committed with tree head `checkpoint`.
    func receipt(checkpoint: TreeHead) -> AppendReceipt {
        AppendReceipt(events: events, streamRevisions: streamRevisions, checkpoint: checkpoint, isReplay: false)
    }
}

/// What the checks decided for one append: answer from history, or write these events.
enum AppendPlan {
    /// Every event is already in the log, as appended before: answer with that receipt.
    case replay(AppendReceipt)
    /// Write `events`; `revisions` holds each of their streams' last revision (`nil`: no stream yet).
    case write(events: [ProposedEvent], revisions: [StreamID: UInt64?])
}

/// Applies one ``AppendRequest`` inside the writer's transaction in two steps: ``plan(_:in:)``
/// only reads (idempotency, expectations, the DCB condition), ``write(_:revisions:state:recordedAt:in:)``
/// only writes.
///
/// Because every check comes before the first write, a refused append has written nothing and
/// needs no transaction of its own; the writer can apply a whole batch in one transaction.
struct LogAppender: Sendable {
    let reader: LogReader
    var schema: LogSchema { reader.schema }

    /// Checks `request` against the log as it stands in `txn`, writing nothing.
    ///
    /// - Throws: ``EventLogError`` when an expectation or the condition fails or an id conflicts;
    ///   `LMDBError` from storage.
    func plan(_ request: AppendRequest, in txn: borrowing WriteTransaction) throws -> AppendPlan {
        if let original = try originalReceipt(for: request, in: txn) { return .replay(original) }
        var revisions: [StreamID: UInt64?] = [:]
        let tail = try reader.tail.view(in: txn, reader: reader)  // one lookup of the tail for every stream
        for (stream, expected) in request.expectations.sorted(by: { $0.key < $1.key }) {
            let actual = try reader.streamHead(stream, tail: tail, in: txn)?.revision
            guard expected.isSatisfied(by: actual) else {
                throw EventLogError.wrongExpectedRevision(stream: stream, expected: expected, actual: actual)
            }
            revisions[stream] = actual
        }
        if let condition = request.condition {
            for filter in condition.failIfEventsMatch.isEmpty ? [.all] : condition.failIfEventsMatch {
                let page = try reader.read(
                    from: condition.after + 1, direction: .forward, limit: 1, filter: filter, in: txn)
                if let match = page.events.first {
                    throw EventLogError.appendConditionFailed(position: match.position, after: condition.after)
                }
            }
        }
        for event in request.events where revisions[event.stream] == nil {
            revisions[event.stream] = .some(try reader.streamHead(event.stream, tail: tail, in: txn)?.revision)
        }
        return .write(events: request.events, revisions: revisions)
    }

    /// The receipt of the command `id` if it ran before with the same fingerprint; `nil` if it never ran.
    ///
    /// - Throws: ``EventLogError/idempotencyConflict(id:)`` if the id ran with another fingerprint.
    func originalReceipt(
        ofCommand id: UUID, fingerprint: [UInt8], in txn: borrowing WriteTransaction
    ) throws -> AppendReceipt? {
        guard let record = try txn.withValue(forKey: id.bytes, in: schema.commands, { try CommandRecord(stored: $0) })
        else { return nil }
        guard record.fingerprint == fingerprint else { throw EventLogError.idempotencyConflict(id: id) }
        guard record.count > 0 else {
            return AppendReceipt(events: [], streamRevisions: [:], checkpoint: try treeHeadNow(in: txn), isReplay: true)
        }
        let positions = record.firstPosition..<(record.firstPosition + UInt64(record.count))
        var entries: [RecordedEvent] = []
        var streamRevisions: [StreamID: UInt64] = [:]
        for position in positions {
            guard let stored = try reader.event(at: position, in: txn) else {
                throw EventLogError.corrupted("command \(id) names position \(position), which has no event")
            }
            entries.append(stored)
            streamRevisions[stored.stream] = max(streamRevisions[stored.stream] ?? 0, stored.revision)
        }
        let checkpoint = try reader.treeHead(size: positions.upperBound - 1, in: txn)
        return AppendReceipt(events: entries, streamRevisions: streamRevisions, checkpoint: checkpoint, isReplay: true)
    }

    /// Records that command `id` ran and what it appended.
    func recordCommand(
        _ id: UUID, fingerprint: [UInt8], appended: AppendedEvents, in txn: borrowing WriteTransaction
    ) throws {
        let record = CommandRecord(
            fingerprint: fingerprint, firstPosition: appended.events.first?.position ?? 0,
            count: UInt32(appended.events.count))
        try txn.put(record.stored, forKey: id.bytes, in: schema.commands, flags: .noOverwrite)
    }

    private func treeHeadNow(in txn: borrowing WriteTransaction) throws -> TreeHead {
        try reader.treeHead(size: try reader.head(in: txn), in: txn)
    }

    /// If every event id of `request` is already in the log with the same content, the receipt
    /// of that earlier append; `nil` if none is.
    ///
    /// - Throws: ``EventLogError/idempotencyConflict(id:)`` if only some are, or any differs.
    private func originalReceipt(for request: AppendRequest, in txn: borrowing WriteTransaction) throws
        -> AppendReceipt?
    {
        var entries: [RecordedEvent] = []
        var streamRevisions: [StreamID: UInt64] = [:]
        for (index, proposed) in request.events.enumerated() {
            guard let position = try reader.position(ofEventID: proposed.id.bytes, in: txn) else {
                // An earlier event of this append is already in the log but this one is not.
                if let first = entries.first { throw EventLogError.idempotencyConflict(id: first.id) }
                continue
            }
            guard let stored = try reader.event(at: position, in: txn) else {
                throw EventLogError.corrupted("event id index names position \(position), which has no event")
            }
            guard index == entries.count, stored.hasContent(of: proposed) else {
                throw EventLogError.idempotencyConflict(id: proposed.id)
            }
            entries.append(stored)
            streamRevisions[stored.stream] = max(streamRevisions[stored.stream] ?? 0, stored.revision)
        }
        guard let last = entries.last else { return nil }
        let checkpoint = try reader.treeHead(size: last.position, in: txn)
        return AppendReceipt(events: entries, streamRevisions: streamRevisions, checkpoint: checkpoint, isReplay: true)
    }

    /// Writes planned events, their index entries and Merkle leaves and nodes, and returns where
    /// they went. The receipt's tree head is the batch's, known only once every append is written.
    ///
    /// Throws only if storage fails, possibly after writing part of the events: the caller must
    /// then abandon the whole transaction.
    func write(
        _ events: [ProposedEvent], revisions: [StreamID: UInt64?], state: inout LogState, recordedAt: Timestamp,
        in txn: borrowing WriteTransaction
    ) throws -> AppendedEvents {
        var heads: [StreamID: StreamHead] = [:]
        var indexed: [TailEntry] = []
        indexed.reserveCapacity(events.count)
        var entries: [RecordedEvent] = []
        entries.reserveCapacity(events.count)
        for event in events {
            let position = state.head + 1
            let previous: UInt64? =
                if let head = heads[event.stream] { head.revision } else { revisions[event.stream] ?? nil }
            let revision = previous.map { $0 + 1 } ?? 0
            let positionBytes = position.bigEndianBytes
            let record = EventRecord.encode(event, revision: revision, recordedAt: recordedAt)
            try txn.put(record, forKey: positionBytes, in: schema.events, flags: .append)
            try txn.put(positionBytes, forKey: event.id.bytes, in: schema.eventIDs, flags: .noOverwrite)
            let leaf = MerkleHash.leaf(
                EventRecord.leafContent(position: position, event: event, revision: revision, recordedAt: recordedAt))
            try txn.put(state.frontier.append(leaf: leaf), forKey: positionBytes, in: schema.merkle, flags: .append)
            heads[event.stream] = StreamHead(stream: event.stream, revision: revision, position: position)
            indexed.append(
                TailEntry(
                    stream: event.stream, revision: revision, position: position, type: event.type, tags: event.tags))
            entries.append(try RecordedEvent(position: position, record: record))
        }
        reader.tail.record(indexed)  // the indexes keyed by name are written when the tail is folded
        return AppendedEvents(events: entries, streamRevisions: heads.mapValues(\.revision))
    }
}

extension LogAppender {
    /// Writes every event of the index tail into `stream-index`, `stream-heads` and the type, tag
    /// and category indexes, key by key in order, and records how far they now reach; returns that position.
    /// The tail itself forgets them once the transaction has committed (``IndexTail/didFold(through:)``).
    func foldIndexTail(in txn: borrowing WriteTransaction) throws -> UInt64 {
        let tail = reader.tail.snapshot()
        for (stream, run) in tail.runs.sorted(by: { $0.key < $1.key }) {
            for (offset, position) in run.positions.enumerated() {
                try txn.put(
                    position.bigEndianBytes,
                    forKey: LogSchema.streamIndexKey(stream, revision: run.firstRevision + UInt64(offset)),
                    in: schema.streamIndex, flags: .noOverwrite)
            }
            let head = StreamHead(
                stream: stream, revision: run.firstRevision + UInt64(run.positions.count - 1),
                position: run.positions[run.positions.count - 1])
            try txn.put(head.stored, forKey: Array(stream.rawValue.utf8), in: schema.streamHeads)
        }
        for (key, positions) in tail.postings.sorted(by: { $0.key < $1.key }) {
            let database =
                switch key.index {
                case .type: schema.types
                case .tag: schema.tags
                case .category: schema.categories
                }
            for position in positions {
                try txn.put(
                    position.bigEndianBytes, forKey: Array(key.name.utf8), in: database, flags: .appendDuplicate)
            }
        }
        try txn.put(tail.through.bigEndianBytes, forKey: LogSchema.indexedThroughKey, in: schema.meta)
        return tail.through
    }
}

extension RecordedEvent {
    /// Whether this stored event carries exactly what `proposed` asks to append (for an erased
    /// event, data with the digest the erasure kept).
    func hasContent(of proposed: ProposedEvent) -> Bool {
        let sameData =
            if let erasure { SHA256.hash(data: proposed.data).elementsEqual(erasure.dataDigest) } else {
                data.elementsEqual(proposed.data)
            }
        return stream == proposed.stream && type == proposed.type && tags == proposed.tags && sameData
            && metadata.elementsEqual(proposed.metadata)
    }
}
