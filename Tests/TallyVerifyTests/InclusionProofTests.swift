import TallyVerify
import Testing

/// Tree sizes for the random tests: every size up to 70, and some around larger powers of two.
let treeSizes = Array(1...70) + [127, 128, 129, 255, 256, 257, 1000]

/// Tree sizes for the single-bit-change tests, which check 256 changes per hash of each proof.
let bitFlipTreeSizes = Array(1...24) + [31, 32, 33, 40, 63, 64, 65, 70, 129, 257]

@Suite("Inclusion proofs")
struct InclusionProofTests {
    @Test(arguments: treeSizes)
    func everyLeafsReferenceProofVerifies(size: Int) {
        let leaves = randomLeaves(size, seed: UInt64(size))
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        let head = TreeHead(size: UInt64(size), root: root)
        for index in 0..<size {
            let proof = InclusionProof(
                leafIndex: UInt64(index), treeSize: UInt64(size), path: tree.path(index, size: leaves.count))
            #expect(throws: Never.self, "leaf \(index)") { try proof.verify(leafHash: leaves[index], against: head) }
        }
    }

    /// Every bit of every hash a check reads, for every leaf of every tree up to 24 leaves, and for
    /// the first, middle and last leaves of larger trees (all of them would take minutes in a debug build).
    @Test(arguments: bitFlipTreeSizes)
    func everySingleBitChangeOfThePathTheRootOrTheLeafIsRejected(size: Int) {
        let leaves = randomLeaves(size, seed: 1000 + UInt64(size))
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        let indices = size <= 24 ? Array(0..<size) : [0, 1, size / 2, size - 2, size - 1]
        for index in indices {
            let path = tree.path(index, size: leaves.count)
            let proof = InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size), path: path)
            var accepted: [String] = []
            for (step, hash) in path.enumerated() {
                for flipped in singleBitFlips(of: hash) {
                    var changed = path
                    changed[step] = flipped
                    let forged = InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size), path: changed)
                    if !rejects({ () throws(ProofError) in try forged.verify(leafHash: leaves[index], root: root) }) {
                        accepted.append("path[\(step)] \(flipped.hex)")
                    }
                }
            }
            for flipped in singleBitFlips(of: root) {
                if !rejects({ () throws(ProofError) in try proof.verify(leafHash: leaves[index], root: flipped) }) {
                    accepted.append("root \(flipped.hex)")
                }
            }
            for flipped in singleBitFlips(of: leaves[index]) {
                if !rejects({ () throws(ProofError) in try proof.verify(leafHash: flipped, root: root) }) {
                    accepted.append("leaf \(flipped.hex)")
                }
            }
            #expect(accepted.isEmpty, "size \(size), leaf \(index): accepted \(accepted.prefix(3))")
        }
    }

    @Test func aChangedBitIsReportedAsARootMismatch() {
        let leaves = randomLeaves(11, seed: 11)
        let tree = Reference(leaves)
        var path = tree.path(6, size: leaves.count)
        path[1][0] ^= 0x80
        let proof = InclusionProof(leafIndex: 6, treeSize: 11, path: path)
        #expect(throws: ProofError.rootMismatch) {
            try proof.verify(leafHash: leaves[6], root: tree.root(leaves.count))
        }
    }

    @Test func aProofProvesOnlyItsOwnLeafAtItsOwnIndex() {
        let leaves = randomLeaves(21, seed: 21)
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        for index in 0..<21 {
            let path = tree.path(index, size: leaves.count)
            for other in 0..<21 where other != index {
                let moved = InclusionProof(leafIndex: UInt64(other), treeSize: 21, path: path)
                #expect(rejects { () throws(ProofError) in try moved.verify(leafHash: leaves[index], root: root) })
                let proof = InclusionProof(leafIndex: UInt64(index), treeSize: 21, path: path)
                #expect(rejects { () throws(ProofError) in try proof.verify(leafHash: leaves[other], root: root) })
            }
        }
    }

    @Test func aProofForAnotherTreeSizeIsRejected() {
        let leaves = randomLeaves(17, seed: 12)
        let tree = Reference(leaves)
        let proof = InclusionProof(leafIndex: 3, treeSize: 12, path: tree.path(3, size: 12))
        let smaller = TreeHead(size: 11, root: tree.root(11))
        #expect(throws: ProofError.treeSizeMismatch(proof: 12, treeHead: 11)) {
            try proof.verify(leafHash: leaves[3], against: smaller)
        }
        // The same path claimed for a tree of another size, checked against that tree's head: the
        // path has the wrong length for it, or leads to the root of the 12-leaf tree instead.
        for size in 4...17 where size != 12 {
            let claimed = InclusionProof(leafIndex: 3, treeSize: UInt64(size), path: proof.path)
            let head = TreeHead(size: UInt64(size), root: tree.root(size))
            #expect(rejects { () throws(ProofError) in try claimed.verify(leafHash: leaves[3], against: head) })
        }
    }

    @Test func aLeafBeyondTheTreeIsRejectedBeforeAnyHashing() {
        let leaf = randomLeaves(1, seed: 1)[0]
        #expect(throws: ProofError.leafIndexOutOfRange(leafIndex: 5, treeSize: 5)) {
            try InclusionProof(leafIndex: 5, treeSize: 5, path: []).verify(leafHash: leaf, root: leaf)
        }
        #expect(throws: ProofError.leafIndexOutOfRange(leafIndex: 0, treeSize: 0)) {
            try InclusionProof(leafIndex: 0, treeSize: 0, path: []).verify(leafHash: leaf, root: MerkleHash.empty)
        }
    }

    @Test func aPathOfTheWrongLengthIsRejected() {
        let leaves = randomLeaves(6, seed: 6)
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        let path = tree.path(2, size: leaves.count)
        #expect(path.count == 3)
        #expect(throws: ProofError.wrongPathLength(expected: 3, actual: 2)) {
            try InclusionProof(leafIndex: 2, treeSize: 6, path: Array(path.dropLast())).verify(
                leafHash: leaves[2], root: root)
        }
        #expect(throws: ProofError.wrongPathLength(expected: 3, actual: 4)) {
            try InclusionProof(leafIndex: 2, treeSize: 6, path: path + [root]).verify(leafHash: leaves[2], root: root)
        }
        #expect(throws: ProofError.wrongPathLength(expected: 0, actual: 1)) {
            try InclusionProof(leafIndex: 0, treeSize: 1, path: [root]).verify(leafHash: leaves[0], root: leaves[0])
        }
    }

    @Test func hashesThatAreNot32BytesAreRejected() {
        let leaves = randomLeaves(4, seed: 4)
        let tree = Reference(leaves)
        let root = tree.root(leaves.count)
        var path = tree.path(1, size: leaves.count)
        #expect(throws: ProofError.malformedHash(byteCount: 31)) {
            try InclusionProof(leafIndex: 1, treeSize: 4, path: path).verify(
                leafHash: Array(leaves[1].dropLast()), root: root)
        }
        #expect(throws: ProofError.malformedHash(byteCount: 33)) {
            try InclusionProof(leafIndex: 1, treeSize: 4, path: path).verify(leafHash: leaves[1], root: root + [0])
        }
        path[1] = []
        #expect(throws: ProofError.malformedHash(byteCount: 0)) {
            try InclusionProof(leafIndex: 1, treeSize: 4, path: path).verify(leafHash: leaves[1], root: root)
        }
    }

    @Test func aTreeWithoutTheLeafHasNoPath() {
        #expect(InclusionProof.pathLength(leafIndex: 0, treeSize: 0) == 0)
        #expect(InclusionProof.pathLength(leafIndex: 7, treeSize: 7) == 0)
        #expect(ConsistencyProof.pathLength(oldSize: 8, newSize: 7) == 0)
    }

    @Test func thePathLengthIsTheReferencePathsForEveryLeafOfTreesUpTo130() {
        let leaves = randomLeaves(130, seed: 130)
        let tree = Reference(leaves)
        for size in 1...130 {
            for index in stride(from: 0, to: size, by: max(1, size / 17)) {
                #expect(
                    InclusionProof.pathLength(leafIndex: UInt64(index), treeSize: UInt64(size))
                        == tree.path(index, size: size).count, "leaf \(index) of \(size)")
            }
        }
    }
}
