import Crypto
import TallyLMDB
package import TallyVerify

/// What a verification found wrong first; every case names where.
package enum VerificationFailure: Error, Equatable, Sendable {
    /// No event at `position`, though later ones exist: an event was removed.
    case missingEvent(position: UInt64)
    /// The event at `position` no longer hashes to the leaf stored when it was appended: its
    /// content (data, metadata, type, stream, time…) was altered, or events were swapped.
    case leafMismatch(position: UInt64)
    /// The stored Merkle nodes completed by the leaf at `position` are missing or differ from
    /// the ones its leaf recomputes: the tree itself was altered.
    case nodeMismatch(position: UInt64)
    /// The log recomputes to `actual` at the pinned checkpoint's size, not to its root: history
    /// up to the checkpoint was rewritten.
    case checkpointMismatch(pinned: TreeHead, actual: TreeHead)
    /// The log holds only `size` events, fewer than the pinned checkpoint's: it was truncated.
    case shorterThanCheckpoint(size: UInt64, pinned: TreeHead)
    /// Line `line` of an export is not an exported event.
    case unreadable(line: Int, reason: String)
}

/// The outcome of a verification that found nothing wrong.
package struct VerificationReport: Sendable, Equatable {
    /// The tree head recomputed from every event.
    package let head: TreeHead
    /// The pinned checkpoint the log was checked against, if one was given.
    package let pinned: TreeHead?
}

/// Recomputes a Merkle tree leaf by leaf and checks it against a pinned checkpoint on the way.
///
/// Feed it each event's leaf hash in position order; it refuses a gap, and when the tree reaches
/// the pinned size it compares the root.
package struct TreeRebuilder: Sendable {
    private var frontier = MerkleFrontier()
    private let pinned: TreeHead?

    /// A rebuilder that will check the tree against `pinned` when it has that many leaves.
    package init(pinned: TreeHead?) { self.pinned = pinned }

    /// The number of leaves so far.
    package var size: UInt64 { frontier.size }

    /// Appends the leaf of the event at `position` (which must be the next one) and returns the
    /// bytes the log stores for it: the leaf hash and every node it completes.
    ///
    /// - Throws: ``VerificationFailure/missingEvent(position:)`` for a gap;
    ///   ``VerificationFailure/checkpointMismatch(pinned:actual:)`` at the pinned size.
    @discardableResult
    package mutating func append(leaf: [UInt8], at position: UInt64) throws(VerificationFailure) -> [UInt8] {
        guard position == frontier.size + 1 else { throw .missingEvent(position: frontier.size + 1) }
        let stored = frontier.append(leaf: leaf)
        if let pinned, pinned.size == frontier.size, frontier.root != pinned.root {
            throw .checkpointMismatch(pinned: pinned, actual: frontier.head)
        }
        return stored
    }

    /// Ends the rebuild: the recomputed head.
    ///
    /// - Throws: ``VerificationFailure/shorterThanCheckpoint(size:pinned:)`` if the tree never
    ///   reached the pinned size; a pinned size of 0 must be the empty root.
    package func finish() throws(VerificationFailure) -> VerificationReport {
        if let pinned {
            guard frontier.size >= pinned.size else {
                throw .shorterThanCheckpoint(size: frontier.size, pinned: pinned)
            }
            if pinned.size == 0, pinned.root != MerkleHash.empty {
                throw .checkpointMismatch(pinned: pinned, actual: TreeHead(size: 0, root: MerkleHash.empty))
            }
        }
        return VerificationReport(head: frontier.head, pinned: pinned)
    }
}

extension LogReading {
    /// Recomputes every event's leaf hash from its stored bytes and every Merkle node from the
    /// leaves, compares them with the stored ones, and checks the tree against `pinned`.
    ///
    /// Reads one snapshot in constant memory, on every core: ``ChunkedVerification`` checks the
    /// log chunk by chunk; only if it finds something wrong is the log walked again in order
    /// (``verifyInOrder(against:progress:)``, the definition) to name the first failure, so the
    /// outcome is always the definition's. `progress` is called with the number of events checked
    /// so far, every 64 Ki events.
    ///
    /// - Throws: ``VerificationFailure`` for the first thing found wrong; `LMDBError` from storage.
    package func verify(against pinned: TreeHead? = nil, progress: (UInt64) -> Void = { _ in }) throws
        -> VerificationReport
    {
        try verify(against: pinned, chunking: ChunkedVerification(), progress: progress)
    }

    /// ``verify(against:progress:)`` with the chunks `chunking` describes (tests use small ones, to
    /// cross many chunk and batch edges in a small log).
    package func verify(
        against pinned: TreeHead?, chunking: ChunkedVerification, progress: (UInt64) -> Void = { _ in }
    ) throws -> VerificationReport {
        try environment.read { [reader] txn in
            var reported: UInt64 = 0
            // The walk in order after a failed chunked pass starts again from 1: report only news.
            func report(_ position: UInt64) {
                guard position > reported else { return }
                reported = position
                progress(position)
            }
            if let verified = try chunking.verify(txn, schema: reader.schema, against: pinned, progress: report) {
                return verified
            }
            return try Self.verifyInOrder(txn, schema: reader.schema, against: pinned, progress: report)
        }
    }

    /// What verification means, one event after the other on one core: walks the `events` and
    /// `merkle` databases in step, rebuilds each leaf and the nodes it completes, and throws at the
    /// first difference. ``verify(against:progress:)`` gives the same outcome, faster.
    ///
    /// - Throws: ``VerificationFailure`` for the first thing found wrong; `LMDBError` from storage.
    package func verifyInOrder(against pinned: TreeHead? = nil, progress: (UInt64) -> Void = { _ in }) throws
        -> VerificationReport
    {
        try environment.read { [reader] txn in
            try Self.verifyInOrder(txn, schema: reader.schema, against: pinned, progress: progress)
        }
    }

    /// ``verifyInOrder(against:progress:)`` inside the read transaction `txn`.
    private static func verifyInOrder(
        _ txn: borrowing ReadTransaction, schema: LogSchema, against pinned: TreeHead?, progress: (UInt64) -> Void
    ) throws -> VerificationReport {
        var rebuilder = TreeRebuilder(pinned: pinned)
        try txn.withCursor(in: schema.events) { events in
            try txn.withCursor(in: schema.merkle) { nodes in
                var entry = try events.first()
                var node = try nodes.first()
                while let current = entry {
                    let position = UInt64(bigEndianBytes: current.key)
                    guard let leafHash = try? EventRecord.leafHash(position: position, record: current.value) else {
                        throw VerificationFailure.leafMismatch(position: position)
                    }
                    let leaf = Array(leafHash)
                    guard position == rebuilder.size + 1 else {
                        throw VerificationFailure.missingEvent(position: rebuilder.size + 1)
                    }
                    // The event's own leaf first, so a changed event is named even when it is the
                    // last one a pinned checkpoint covers (the root would differ too).
                    guard let stored = node, UInt64(bigEndianBytes: stored.key) == position,
                        stored.value.count >= 32
                    else { throw VerificationFailure.nodeMismatch(position: position) }
                    guard stored.value.prefix(32).elementsEqual(leaf) else {
                        throw VerificationFailure.leafMismatch(position: position)
                    }
                    let expected = try rebuilder.append(leaf: leaf, at: position)
                    guard stored.value.elementsEqual(expected) else {
                        throw VerificationFailure.nodeMismatch(position: position)
                    }
                    if position & 0xFFFF == 0 { progress(position) }
                    entry = try events.next()
                    node = try nodes.next()
                }
            }
        }
        return try rebuilder.finish()
    }
}
