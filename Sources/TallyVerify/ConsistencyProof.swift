/// Evidence that a Merkle tree of `oldSize` leaves is a prefix of one of `newSize` leaves: the
/// consistency proof of RFC 9162 §2.1.4. It shows the log only appended between two tree heads.
///
/// ```swift
/// let proof = try log.consistencyProof(from: pinned.size, to: latest.size)
/// try proof.verify(from: pinned, to: latest)  // throws ProofError if the log was rewritten
/// ```
package struct ConsistencyProof: Sendable, Equatable, Hashable {
    /// The number of leaves of the older tree.
    package let oldSize: UInt64
    /// The number of leaves of the newer tree.
    package let newSize: UInt64
    /// The subtree hashes that connect the two roots (32 bytes each), as RFC 9162 §2.1.4.1 orders them.
    package let path: [[UInt8]]

    /// Wraps a proof received from a log.
    package init(oldSize: UInt64, newSize: UInt64, path: [[UInt8]]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.path = path
    }

    /// The number of hashes in a consistency proof from `oldSize` to `newSize` leaves: 0 when
    /// `oldSize` is 0 or not smaller than `newSize`.
    ///
    /// The proof is the inclusion path of the old tree's last perfect subtree (of `2^k` leaves,
    /// `k` the trailing zeros of `oldSize`) in the new tree, with that subtree's own hash first
    /// unless it is the whole old tree.
    package static func pathLength(oldSize: UInt64, newSize: UInt64) -> Int {
        guard oldSize > 0, oldSize < newSize else { return 0 }
        let shift = oldSize.trailingZeroBitCount
        let inner = ((oldSize - 1) ^ (newSize - 1)).bitLength
        let border = ((oldSize - 1) >> UInt64(inner)).nonzeroBitCount
        let seed = oldSize.nonzeroBitCount == 1 ? 0 : 1
        return seed + (inner - shift) + border
    }

    /// Checks that the tree with root `oldRoot` is the first ``oldSize`` leaves of the tree with
    /// root `newRoot` (RFC 9162 §2.1.4.2).
    ///
    /// Two cases the RFC's algorithm leaves out are decided as in RFC 6962 practice: equal sizes
    /// need an empty path and equal roots; an old size of 0 needs an empty path and the empty
    /// tree's root as `oldRoot` (every tree extends the empty one).
    ///
    /// - Throws: ``ProofError/sizesOutOfOrder(oldSize:newSize:)``,
    ///   ``ProofError/wrongPathLength(expected:actual:)``, ``ProofError/malformedHash(byteCount:)``
    ///   if the proof is malformed; ``ProofError/oldRootMismatch`` or ``ProofError/newRootMismatch``
    ///   if it does not lead to the given roots.
    package func verify(oldRoot: [UInt8], newRoot: [UInt8]) throws(ProofError) {
        guard oldSize <= newSize else { throw .sizesOutOfOrder(oldSize: oldSize, newSize: newSize) }
        let expected = Self.pathLength(oldSize: oldSize, newSize: newSize)
        guard path.count == expected else { throw .wrongPathLength(expected: expected, actual: path.count) }
        try checkHashSizes(oldRoot, newRoot)
        try checkHashSizes(path)
        if oldSize == 0 {
            guard oldRoot == MerkleHash.empty else { throw .oldRootMismatch }
            return
        }
        if oldSize == newSize {
            guard oldRoot == newRoot else { throw .newRootMismatch }
            return
        }
        // The RFC's steps, with its names: `fn` walks up from the old tree's last leaf, `sn` from the new one's.
        // When the old tree is perfect, its root is the seed the path leaves out.
        let hashes = oldSize.nonzeroBitCount == 1 ? [oldRoot] + path : path
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = hashes[0]
        var sr = hashes[0]
        for c in hashes.dropFirst() {
            // With the length checked above the path never outlasts the tree; kept as the RFC writes it.
            guard sn != 0 else { throw .wrongPathLength(expected: expected, actual: path.count) }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .wrongPathLength(expected: expected, actual: path.count) }
        guard fr == oldRoot else { throw .oldRootMismatch }
        guard sr == newRoot else { throw .newRootMismatch }
    }

    /// Checks that the tree `old` describes is the first ``oldSize`` leaves of the tree `new` describes.
    ///
    /// - Throws: ``ProofError/treeSizeMismatch(proof:treeHead:)`` if a head's size is not the
    ///   proof's; otherwise as ``verify(oldRoot:newRoot:)``.
    package func verify(from old: TreeHead, to new: TreeHead) throws(ProofError) {
        guard old.size == oldSize else { throw .treeSizeMismatch(proof: oldSize, treeHead: old.size) }
        guard new.size == newSize else { throw .treeSizeMismatch(proof: newSize, treeHead: new.size) }
        try verify(oldRoot: old.root, newRoot: new.root)
    }
}
