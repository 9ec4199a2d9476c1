import TallyLMDB
import TallyVerify

/// The leaves `start ..< start + count` of the log's Merkle tree: one hash of a proof,
/// `MTH(D[start:start + count])` in RFC 9162's notation.
struct LeafRange: Equatable {
    let start: UInt64
    let count: UInt64
}

/// Which subtrees RFC 9162's proofs are made of, worked out from the sizes alone.
///
/// Every range is a node of the tree: a perfect subtree (stored), or a node on the tree's right
/// edge, whose `start` is a multiple of a power of two at least as large as its `count`.
enum ProofPlan {
    /// The sibling subtrees of leaf `leafIndex` in a tree of `treeSize` leaves, from the leaf up:
    /// `PATH(m, D[n])` of RFC 9162 §2.1.3.1. Requires `leafIndex < treeSize`.
    static func inclusion(leafIndex: UInt64, treeSize: UInt64) -> [LeafRange] {
        var ranges: [LeafRange] = []  // from the root down; reversed at the end
        var start: UInt64 = 0
        var size = treeSize
        var index = leafIndex
        while size > 1 {
            let split = largestPowerOfTwo(below: size)
            if index < split {
                ranges.append(LeafRange(start: start + split, count: size - split))
                size = split
            } else {
                ranges.append(LeafRange(start: start, count: split))
                start += split
                index -= split
                size -= split
            }
        }
        return ranges.reversed()
    }

    /// The subtrees proving that the first `oldSize` leaves are a prefix of the first `newSize`:
    /// `PROOF(m, D[n])` of RFC 9162 §2.1.4.1, empty when `oldSize` is 0 or `newSize`.
    /// Requires `oldSize <= newSize`.
    static func consistency(oldSize: UInt64, newSize: UInt64) -> [LeafRange] {
        guard oldSize > 0, oldSize < newSize else { return [] }
        var ranges: [LeafRange] = []  // from the root down; reversed at the end
        var start: UInt64 = 0
        var size = newSize
        var old = oldSize
        var isWholeOldTree = true  // SUBPROOF's `b`: false once the walk has turned right
        while old != size {
            let split = largestPowerOfTwo(below: size)
            if old <= split {
                ranges.append(LeafRange(start: start + split, count: size - split))
                size = split
            } else {
                ranges.append(LeafRange(start: start, count: split))
                start += split
                old -= split
                size -= split
                isWholeOldTree = false
            }
        }
        // The subtree where the walk stopped lies wholly in the old tree; the verifier knows it
        // already when it is the old tree itself.
        if !isWholeOldTree { ranges.append(LeafRange(start: start, count: size)) }
        return ranges.reversed()
    }

    /// The largest power of two smaller than `n`, for `n > 1`: RFC 9162's `k`.
    private static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        1 << UInt64(UInt64.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }
}

extension LogReader {
    /// The inclusion proof of the event at `position` in the tree of the first `treeSize` events.
    ///
    /// - Throws: ``EventLogError/treeTooSmall(size:requested:)`` if `treeSize` is beyond the head;
    ///   ``EventLogError/positionNotInTree(position:treeSize:)`` if `position` is 0 or beyond `treeSize`;
    ///   ``EventLogError/corrupted(_:)`` if a node is missing.
    func inclusionProof(position: UInt64, treeSize: UInt64, in txn: borrowing some Transaction & ~Copyable) throws
        -> InclusionProof
    {
        let head = try head(in: txn)
        guard treeSize <= head else { throw EventLogError.treeTooSmall(size: head, requested: treeSize) }
        guard position >= 1, position <= treeSize else {
            throw EventLogError.positionNotInTree(position: position, treeSize: treeSize)
        }
        let path = try ProofPlan.inclusion(leafIndex: position - 1, treeSize: treeSize).map { range in
            try hash(of: range, in: txn)
        }
        return InclusionProof(leafIndex: position - 1, treeSize: treeSize, path: path)
    }

    /// The consistency proof from the tree of the first `oldSize` events to that of the first `newSize`.
    ///
    /// - Throws: ``EventLogError/treeTooSmall(size:requested:)`` if `newSize` is beyond the head;
    ///   ``EventLogError/treeSizesOutOfOrder(oldSize:newSize:)`` if `oldSize > newSize`;
    ///   ``EventLogError/corrupted(_:)`` if a node is missing.
    func consistencyProof(from oldSize: UInt64, to newSize: UInt64, in txn: borrowing some Transaction & ~Copyable)
        throws -> ConsistencyProof
    {
        let head = try head(in: txn)
        guard newSize <= head else { throw EventLogError.treeTooSmall(size: head, requested: newSize) }
        guard oldSize <= newSize else {
            throw EventLogError.treeSizesOutOfOrder(oldSize: oldSize, newSize: newSize)
        }
        let path = try ProofPlan.consistency(oldSize: oldSize, newSize: newSize).map { range in
            try hash(of: range, in: txn)
        }
        return ConsistencyProof(oldSize: oldSize, newSize: newSize, path: path)
    }

    /// The Merkle tree hash of `range`, from the stored perfect subtrees it is made of.
    ///
    /// A range that is not a perfect subtree is the tree's right edge: its hash is that of its
    /// perfect subtrees, one per set bit of `count`, largest first, folded from the right (as the
    /// root is), so it costs at most 64 reads.
    private func hash(of range: LeafRange, in txn: borrowing some Transaction & ~Copyable) throws -> [UInt8] {
        var subtrees: [[UInt8]] = []
        var start = range.start
        for level in (0..<UInt64.bitWidth).reversed() where range.count & (1 << UInt64(level)) != 0 {
            // ProofPlan's ranges start on a multiple of their largest subtree, so each is a stored node.
            assert(start % (1 << UInt64(level)) == 0, "unaligned range \(range)")
            let location = NodeLocation(level: level, index: start >> UInt64(level))
            subtrees.append(try location.hash(in: txn, nodes: schema.merkle))
            start += 1 << UInt64(level)
        }
        guard var hash = subtrees.popLast() else { return MerkleHash.empty }
        for subtree in subtrees.reversed() { hash = MerkleHash.node(subtree, hash) }
        return hash
    }
}

extension RecordedEvent {
    /// The event's Merkle leaf hash, recomputed from the event: what an inclusion proof starts from.
    package var leafHash: [UInt8] { MerkleHash.leaf(EventRecord.leafContent(of: self)) }
}
