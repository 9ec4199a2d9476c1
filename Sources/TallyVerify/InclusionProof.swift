/// Evidence that one leaf is in a Merkle tree of a given size: the audit path of RFC 9162 §2.1.3.
///
/// The log's event at position *p* is leaf *p* − 1. Anyone holding the event (to recompute its
/// leaf hash), this proof and a trusted ``TreeHead`` of the same size can check the event is in that
/// tree, without the log.
///
/// ```swift
/// let proof = try log.inclusionProof(position: 42, treeSize: head.size)
/// try proof.verify(leafHash: event.leafHash, against: head)  // throws ProofError if it is not
/// ```
package struct InclusionProof: Sendable, Equatable, Hashable {
    /// The leaf's index in the tree, from 0 (the position of its event minus 1).
    package let leafIndex: UInt64
    /// The number of leaves of the tree the proof is for.
    package let treeSize: UInt64
    /// The hashes of the leaf's sibling subtrees, from the leaf up to the root (32 bytes each).
    package let path: [[UInt8]]

    /// Wraps a proof received from a log.
    package init(leafIndex: UInt64, treeSize: UInt64, path: [[UInt8]]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.path = path
    }

    /// The number of hashes in the audit path of leaf `leafIndex` in a tree of `treeSize` leaves,
    /// 0 if the tree has no such leaf.
    ///
    /// One hash per level below the node where the leaf's way to the root meets the last leaf's
    /// (the bit length of `leafIndex ^ (treeSize - 1)`), and one per perfect subtree to the left
    /// above that node (the set bits of `leafIndex` above those levels).
    package static func pathLength(leafIndex: UInt64, treeSize: UInt64) -> Int {
        guard leafIndex < treeSize else { return 0 }
        let inner = (leafIndex ^ (treeSize - 1)).bitLength
        return inner + (leafIndex >> UInt64(inner)).nonzeroBitCount
    }

    /// Computes the root of the tree from the leaf's hash and the audit path (RFC 9162 §2.1.3.2).
    ///
    /// - Throws: ``ProofError/leafIndexOutOfRange(leafIndex:treeSize:)``,
    ///   ``ProofError/wrongPathLength(expected:actual:)``, ``ProofError/malformedHash(byteCount:)``.
    package func root(fromLeafHash leafHash: [UInt8]) throws(ProofError) -> [UInt8] {
        guard leafIndex < treeSize else { throw .leafIndexOutOfRange(leafIndex: leafIndex, treeSize: treeSize) }
        let expected = Self.pathLength(leafIndex: leafIndex, treeSize: treeSize)
        guard path.count == expected else { throw .wrongPathLength(expected: expected, actual: path.count) }
        try checkHashSizes(leafHash)
        try checkHashSizes(path)
        // The RFC's steps, with its names: `fn` walks up from the leaf, `sn` from the last leaf.
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in path {
            // With the length checked above the path never outlasts the tree; kept as the RFC writes it.
            guard sn != 0 else { throw .wrongPathLength(expected: expected, actual: path.count) }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                // A leaf on the tree's right edge skips the levels where it has no sibling.
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .wrongPathLength(expected: expected, actual: path.count) }
        return r
    }

    /// Checks that the leaf with hash `leafHash` is at ``leafIndex`` in the tree whose root is `root`.
    ///
    /// - Throws: ``ProofError/rootMismatch`` if the proof leads to another root; the errors of
    ///   ``root(fromLeafHash:)`` if it is malformed.
    package func verify(leafHash: [UInt8], root: [UInt8]) throws(ProofError) {
        try checkHashSizes(root)
        guard try self.root(fromLeafHash: leafHash) == root else { throw .rootMismatch }
    }

    /// Checks that the leaf with hash `leafHash` is at ``leafIndex`` in the tree `head` describes.
    ///
    /// - Throws: ``ProofError/treeSizeMismatch(proof:treeHead:)`` if the proof is for another size;
    ///   otherwise as ``verify(leafHash:root:)``.
    package func verify(leafHash: [UInt8], against head: TreeHead) throws(ProofError) {
        guard head.size == treeSize else { throw .treeSizeMismatch(proof: treeSize, treeHead: head.size) }
        try verify(leafHash: leafHash, root: head.root)
    }
}
