import TallyVerify

/// Verifies inclusion and consistency proofs read from the input, then proofs made for a tree of
/// random leaves the input sizes.
///
/// Properties: verification never traps on any sizes and paths; an inclusion path that computes a
/// root verifies against that root, and no longer does when a bit of the leaf or of a path hash
/// flips; proofs made by RFC 9162's recursive definitions (``ReferenceTree``) verify, have the
/// length `pathLength` predicts, and stop verifying when one bit of a hash, a root, or the leaf flips.
func fuzzProof(_ bytes: [UInt8]) {
    var input = FuzzInput(bytes)
    checkArbitraryProofs(&input)
    checkReferenceProofs(&input)
}

private func checkArbitraryProofs(_ input: inout FuzzInput) {
    let first = input.uint64(), second = input.uint64()
    let path = (0..<Int(input.byte() % 70)).map { _ in input.hash() }
    let leaf = input.hash(), root = input.hash()
    _ = ConsistencyProof.pathLength(oldSize: first, newSize: second)
    _ = try? ConsistencyProof(oldSize: first, newSize: second, path: path).verify(oldRoot: leaf, newRoot: root)
    let inclusion = InclusionProof(leafIndex: first, treeSize: second, path: path)
    guard let computed = try? inclusion.root(fromLeafHash: leaf) else { return }
    require((try? inclusion.verify(leafHash: leaf, root: computed)) != nil, "a computed root does not verify")
    let bit = Int(input.byte())
    require((try? inclusion.verify(leafHash: leaf.flipping(bit), root: computed)) == nil, "a flipped leaf verifies")
    if !path.isEmpty {
        var altered = path
        let index = Int(input.byte()) % path.count
        altered[index] = altered[index].flipping(bit)
        let proof = InclusionProof(leafIndex: first, treeSize: second, path: altered)
        require((try? proof.verify(leafHash: leaf, root: computed)) == nil, "a flipped path hash verifies")
    }
}

private func checkReferenceProofs(_ input: inout FuzzInput) {
    let size = Int(input.byte()) + 1
    let tree = ReferenceTree(leafCount: size, seed: input.uint64())
    let index = Int(input.byte()) % size
    let oldSize = Int(input.byte()) % (size + 1)
    let bit = Int(input.byte())
    let head = TreeHead(size: UInt64(size), root: tree.root(size))
    let inclusion = InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size), path: tree.path(index, size: size))
    require(
        inclusion.path.count == InclusionProof.pathLength(leafIndex: UInt64(index), treeSize: UInt64(size)),
        "inclusion pathLength(\(index), \(size)) is not the reference's \(inclusion.path.count)")
    require((try? inclusion.verify(leafHash: tree.leaves[index], against: head)) != nil, "a true inclusion fails")
    require(
        (try? inclusion.verify(leafHash: tree.leaves[index].flipping(bit), against: head)) == nil,
        "an inclusion verifies for a flipped leaf")
    require(
        (try? inclusion.verify(leafHash: tree.leaves[index], root: head.root.flipping(bit))) == nil,
        "an inclusion verifies against a flipped root")
    for hop in inclusion.path.indices {
        var path = inclusion.path
        path[hop] = path[hop].flipping(bit)
        let altered = InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size), path: path)
        require((try? altered.verify(leafHash: tree.leaves[index], against: head)) == nil, "a flipped path verifies")
    }
    if size > 1 {
        let other = InclusionProof(
            leafIndex: UInt64((index + 1) % size), treeSize: UInt64(size), path: inclusion.path)
        require((try? other.verify(leafHash: tree.leaves[index], against: head)) == nil, "a proof verifies elsewhere")
    }

    let old = TreeHead(size: UInt64(oldSize), root: tree.root(oldSize))
    let consistency = ConsistencyProof(
        oldSize: UInt64(oldSize), newSize: UInt64(size), path: tree.consistency(oldSize, size: size))
    require(
        consistency.path.count == ConsistencyProof.pathLength(oldSize: UInt64(oldSize), newSize: UInt64(size)),
        "consistency pathLength(\(oldSize), \(size)) is not the reference's \(consistency.path.count)")
    require((try? consistency.verify(from: old, to: head)) != nil, "a true consistency proof fails")
    require((try? consistency.verify(oldRoot: old.root.flipping(bit), newRoot: head.root)) == nil, "flipped old root")
    if oldSize > 0 {  // every tree extends the empty one: nothing in the new root is checked then
        require(
            (try? consistency.verify(oldRoot: old.root, newRoot: head.root.flipping(bit))) == nil, "flipped new root")
    }
    for hop in consistency.path.indices {
        var path = consistency.path
        path[hop] = path[hop].flipping(bit)
        let altered = ConsistencyProof(oldSize: UInt64(oldSize), newSize: UInt64(size), path: path)
        require((try? altered.verify(from: old, to: head)) == nil, "a flipped consistency path verifies")
    }
}

/// Reads fixed-size values from the front of a fuzz input; zeros once it runs out.
struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }

    mutating func uint64() -> UInt64 { (0..<8).reduce(0) { value, _ in value << 8 | UInt64(byte()) } }

    /// Up to 32 bytes: shorter only at the end of the input (a malformed hash for the verifiers).
    mutating func hash() -> [UInt8] {
        let hash = Array(bytes.prefix(32))
        bytes = bytes.dropFirst(32)
        return hash
    }
}

extension [UInt8] {
    /// The bytes with bit `bit` (modulo their bit count) inverted; the same (empty) bytes if there are none.
    func flipping(_ bit: Int) -> [UInt8] {
        guard !isEmpty else { return self }
        var copy = self
        let index = bit % (count * 8)
        copy[index / 8] ^= 1 << (index % 8)
        return copy
    }
}
