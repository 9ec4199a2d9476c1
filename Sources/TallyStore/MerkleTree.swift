import TallyLMDB
import TallyVerify

/// The roots of the perfect subtrees that make up a tree of `size` leaves, largest first
/// (one per set bit of `size`): all that is needed to append a leaf and to compute the root.
struct MerkleFrontier: Sendable {
    private(set) var size: UInt64 = 0
    /// `(level, hash)` pairs; a subtree at level `l` covers `2^l` leaves.
    private(set) var subtrees: [(level: Int, hash: [UInt8])] = []

    /// Appends a leaf and returns what to store under its position: the hashes of the leaf and
    /// of every node it completed, lowest level first, 32 bytes each (see ``NodeLocation``).
    mutating func append(leaf: [UInt8]) -> [UInt8] {
        var finished = leaf
        subtrees.append((0, leaf))
        while subtrees.count >= 2, subtrees[subtrees.count - 1].level == subtrees[subtrees.count - 2].level {
            let right = subtrees.removeLast()
            let left = subtrees.removeLast()
            let parent = (level: left.level + 1, hash: MerkleHash.node(left.hash, right.hash))
            subtrees.append(parent)
            finished += parent.hash
        }
        size += 1
        return finished
    }

    /// The RFC 6962 tree hash of all `size` leaves: the subtrees folded from the right.
    var root: [UInt8] {
        guard var hash = subtrees.last?.hash else { return MerkleHash.empty }
        for subtree in subtrees.dropLast().reversed() { hash = MerkleHash.node(subtree.hash, hash) }
        return hash
    }

    var head: TreeHead { TreeHead(size: size, root: root) }

    /// Loads the frontier of a tree of `size` leaves from its stored nodes.
    ///
    /// - Throws: ``EventLogError/corrupted(_:)`` if a node the tree needs is missing.
    init(size: UInt64, in txn: borrowing some Transaction & ~Copyable, nodes: Database) throws {
        self.size = size
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            let location = NodeLocation(level: level, index: start >> UInt64(level))
            subtrees.append((level, try location.hash(in: txn, nodes: nodes)))
            start += 1 << UInt64(level)
        }
    }

    init() {}
}

/// Where a Merkle node is stored: under the position of the leaf that completed it.
///
/// The node at `level` and `index` (covering leaves `index·2^level ..< (index+1)·2^level`) is
/// finished by its last leaf, at position `(index+1)·2^level`; that position's entry holds the
/// leaf hash and then each node the leaf finished, one level up at a time.
struct NodeLocation: Equatable {
    let level: Int
    let index: UInt64

    /// The position whose entry in `merkle` holds this node.
    var position: UInt64 { (index + 1) << UInt64(level) }
    /// Where in that entry its 32 bytes start.
    var offset: Int { level * MerkleHash.byteCount }

    /// Reads the node's hash from the `merkle` database `nodes`.
    ///
    /// - Throws: ``EventLogError/corrupted(_:)`` if it is not stored.
    func hash(in txn: borrowing some Transaction & ~Copyable, nodes: Database) throws -> [UInt8] {
        let end = offset + MerkleHash.byteCount
        let hash = try txn.withValue(forKey: position.bigEndianBytes, in: nodes) { stored in
            stored.count >= end ? Array(stored[offset..<end]) : nil
        }
        guard let hash = hash ?? nil else {
            throw EventLogError.corrupted("missing Merkle node at level \(level), index \(index)")
        }
        return hash
    }
}
