/// Why a Merkle proof was rejected: it does not show what it was checked for.
///
/// Every case means "do not trust this claim"; the cases say which check failed, for logs and tests.
package enum ProofError: Error, Equatable, Sendable {
    /// An inclusion proof names a leaf at or beyond the end of its tree.
    case leafIndexOutOfRange(leafIndex: UInt64, treeSize: UInt64)
    /// A consistency proof's old tree is larger than its new tree.
    case sizesOutOfOrder(oldSize: UInt64, newSize: UInt64)
    /// The proof is about a tree of `proof` leaves but was checked against a tree head of `treeHead` leaves.
    case treeSizeMismatch(proof: UInt64, treeHead: UInt64)
    /// The audit path does not have the number of hashes that the proof's sizes call for.
    case wrongPathLength(expected: Int, actual: Int)
    /// A hash given (in the path, or as a leaf or a root) is not 32 bytes long.
    case malformedHash(byteCount: Int)
    /// The root computed from the leaf and the path is not the expected root.
    case rootMismatch
    /// The old tree's root computed from a consistency proof is not the expected old root.
    case oldRootMismatch
    /// The new tree's root computed from a consistency proof is not the expected new root.
    case newRootMismatch
}

/// Throws ``ProofError/malformedHash(byteCount:)`` unless every hash is 32 bytes long.
func checkHashSizes(_ hashes: [UInt8]...) throws(ProofError) {
    for hash in hashes where hash.count != MerkleHash.byteCount { throw .malformedHash(byteCount: hash.count) }
}

/// Throws ``ProofError/malformedHash(byteCount:)`` unless every hash of `path` is 32 bytes long.
func checkHashSizes(_ path: [[UInt8]]) throws(ProofError) {
    for hash in path where hash.count != MerkleHash.byteCount { throw .malformedHash(byteCount: hash.count) }
}

extension UInt64 {
    /// The number of bits needed to write the value: 0 for 0, 1 for 1, 3 for 4…7.
    var bitLength: Int { UInt64.bitWidth - leadingZeroBitCount }
}
