import TallyVerify
import Testing

@Suite("Consistency proofs")
struct ConsistencyProofTests {
    @Test(arguments: treeSizes)
    func everyReferenceProofFromEveryOlderSizeVerifies(size: Int) {
        let leaves = randomLeaves(size, seed: 2000 + UInt64(size))
        let tree = Reference(leaves)
        let new = TreeHead(size: UInt64(size), root: tree.root(leaves.count))
        let oldSizes = size <= 130 ? Array(0...size) : Array(0...70) + stride(from: 71, through: size, by: 7)
        for oldSize in oldSizes {
            let old = TreeHead(size: UInt64(oldSize), root: tree.root(oldSize))
            let proof = ConsistencyProof(
                oldSize: UInt64(oldSize), newSize: UInt64(size), path: tree.proof(oldSize, size: leaves.count))
            #expect(throws: Never.self, "from \(oldSize)") { try proof.verify(from: old, to: new) }
        }
    }

    /// Every bit of every hash a check reads, for every pair of sizes up to 24, and for a few older
    /// sizes of larger trees (all of them would take minutes in a debug build).
    @Test(arguments: bitFlipTreeSizes)
    func everySingleBitChangeOfThePathOrOfEitherRootIsRejected(size: Int) {
        let leaves = randomLeaves(size, seed: 3000 + UInt64(size))
        let tree = Reference(leaves)
        let newRoot = tree.root(leaves.count)
        let oldSizes = size <= 24 ? Array(0...size) : [0, 1, 2, 3, size / 2, size - 2, size - 1, size]
        for oldSize in oldSizes {
            let oldRoot = tree.root(oldSize)
            let path = tree.proof(oldSize, size: leaves.count)
            let proof = ConsistencyProof(oldSize: UInt64(oldSize), newSize: UInt64(size), path: path)
            var accepted: [String] = []
            for (step, hash) in path.enumerated() {
                for flipped in singleBitFlips(of: hash) {
                    var changed = path
                    changed[step] = flipped
                    let forged = ConsistencyProof(oldSize: UInt64(oldSize), newSize: UInt64(size), path: changed)
                    if !rejects({ () throws(ProofError) in try forged.verify(oldRoot: oldRoot, newRoot: newRoot) }) {
                        accepted.append("path[\(step)] \(flipped.hex)")
                    }
                }
            }
            for flipped in singleBitFlips(of: oldRoot) {
                if !rejects({ () throws(ProofError) in try proof.verify(oldRoot: flipped, newRoot: newRoot) }) {
                    accepted.append("old root \(flipped.hex)")
                }
            }
            // Every tree extends the empty one, so from size 0 no new root is wrong.
            if oldSize > 0 {
                for flipped in singleBitFlips(of: newRoot) {
                    if !rejects({ () throws(ProofError) in try proof.verify(oldRoot: oldRoot, newRoot: flipped) }) {
                        accepted.append("new root \(flipped.hex)")
                    }
                }
            }
            #expect(accepted.isEmpty, "from \(oldSize) to \(size): accepted \(accepted.prefix(3))")
        }
    }

    @Test func aProofDoesNotConnectTreesThatDivergedBeforeTheOldSize() {
        let leaves = randomLeaves(20, seed: 20)
        let tree = Reference(leaves)
        var rewritten = leaves
        rewritten[4][0] ^= 1  // history rewritten at leaf 4, then the same appends
        let rewrittenTree = Reference(rewritten)
        for oldSize in 5...19 {
            let proof = ConsistencyProof(
                oldSize: UInt64(oldSize), newSize: 20, path: rewrittenTree.proof(oldSize, size: rewritten.count))
            let old = tree.root(oldSize)
            #expect(
                rejects { () throws(ProofError) in
                    try proof.verify(oldRoot: old, newRoot: rewrittenTree.root(rewritten.count))
                },
                "from \(oldSize)")
        }
    }

    @Test func equalSizesNeedEqualRootsAndAnEmptyPath() {
        let leaves = randomLeaves(9, seed: 9)
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        #expect(throws: Never.self) {
            try ConsistencyProof(oldSize: 9, newSize: 9, path: []).verify(oldRoot: root, newRoot: root)
        }
        #expect(throws: ProofError.newRootMismatch) {
            try ConsistencyProof(oldSize: 9, newSize: 9, path: []).verify(oldRoot: root, newRoot: leaves[0])
        }
        #expect(throws: ProofError.wrongPathLength(expected: 0, actual: 1)) {
            try ConsistencyProof(oldSize: 9, newSize: 9, path: [root]).verify(oldRoot: root, newRoot: root)
        }
    }

    @Test func theEmptyTreeIsAPrefixOfEveryTreeButOnlyWithItsOwnRoot() {
        let leaves = randomLeaves(5, seed: 5)
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        let proof = ConsistencyProof(oldSize: 0, newSize: 5, path: [])
        #expect(throws: Never.self) { try proof.verify(oldRoot: MerkleHash.empty, newRoot: root) }
        #expect(throws: ProofError.oldRootMismatch) { try proof.verify(oldRoot: leaves[0], newRoot: root) }
        #expect(throws: ProofError.wrongPathLength(expected: 0, actual: 1)) {
            try ConsistencyProof(oldSize: 0, newSize: 5, path: [root]).verify(oldRoot: MerkleHash.empty, newRoot: root)
        }
    }

    @Test func malformedProofsAreRejectedWithTheirReason() {
        let leaves = randomLeaves(8, seed: 8)
        let tree = Reference(leaves)
        let old = TreeHead(size: 3, root: tree.root(3))
        let new = TreeHead(size: 8, root: tree.root(leaves.count))
        let path = tree.proof(3, size: leaves.count)
        #expect(throws: ProofError.sizesOutOfOrder(oldSize: 8, newSize: 3)) {
            try ConsistencyProof(oldSize: 8, newSize: 3, path: path).verify(oldRoot: new.root, newRoot: old.root)
        }
        #expect(throws: ProofError.wrongPathLength(expected: path.count, actual: path.count - 1)) {
            try ConsistencyProof(oldSize: 3, newSize: 8, path: Array(path.dropFirst())).verify(from: old, to: new)
        }
        #expect(throws: ProofError.treeSizeMismatch(proof: 3, treeHead: 4)) {
            try ConsistencyProof(oldSize: 3, newSize: 8, path: path).verify(
                from: TreeHead(size: 4, root: old.root), to: new)
        }
        #expect(throws: ProofError.treeSizeMismatch(proof: 8, treeHead: 9)) {
            try ConsistencyProof(oldSize: 3, newSize: 8, path: path).verify(
                from: old, to: TreeHead(size: 9, root: new.root))
        }
        #expect(throws: ProofError.malformedHash(byteCount: 16)) {
            try ConsistencyProof(oldSize: 3, newSize: 8, path: path).verify(
                oldRoot: Array(old.root.prefix(16)), newRoot: new.root)
        }
    }

    @Test func thePathLengthIsTheReferenceProofsForEveryPairOfSizesUpTo130() {
        let leaves = randomLeaves(130, seed: 131)
        let tree = Reference(leaves)
        for newSize in 1...130 {
            for oldSize in 0...newSize {
                #expect(
                    ConsistencyProof.pathLength(oldSize: UInt64(oldSize), newSize: UInt64(newSize))
                        == tree.proof(oldSize, size: newSize).count, "from \(oldSize) to \(newSize)")
            }
        }
    }
}
