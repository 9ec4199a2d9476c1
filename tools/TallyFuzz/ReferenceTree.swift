import TallyVerify

/// RFC 9162's recursive definitions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF) over random
/// leaves: proofs made independently of the verifier, for the proof target to check it with.
final class ReferenceTree {
    let leaves: [[UInt8]]
    private var hashes: [Range<Int>: [UInt8]] = [:]

    /// `leafCount` leaf hashes drawn from SplitMix64 seeded with `seed`.
    init(leafCount: Int, seed: UInt64) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        leaves = (0..<leafCount).map { _ in (0..<4).flatMap { _ in withUnsafeBytes(of: next()) { Array($0) } } }
    }

    /// `MTH(D[size])`.
    func root(_ size: Int) -> [UInt8] { hash(0..<size) }

    /// `PATH(m, D[size])`.
    func path(_ m: Int, size: Int) -> [[UInt8]] { path(m, 0..<size) }

    /// `PROOF(m, D[size])`; empty when `m` is 0 or `size`.
    func consistency(_ m: Int, size: Int) -> [[UInt8]] {
        0 < m && m < size ? subproof(m, 0..<size, complete: true) : []
    }

    private func hash(_ range: Range<Int>) -> [UInt8] {
        if let known = hashes[range] { return known }
        let hash: [UInt8]
        switch range.count {
        case 0: hash = MerkleHash.empty
        case 1: hash = leaves[range.lowerBound]
        default:
            let middle = range.lowerBound + Self.split(range.count)
            hash = MerkleHash.node(self.hash(range.lowerBound..<middle), self.hash(middle..<range.upperBound))
        }
        hashes[range] = hash
        return hash
    }

    private func path(_ m: Int, _ range: Range<Int>) -> [[UInt8]] {
        guard range.count > 1 else { return [] }
        let middle = range.lowerBound + Self.split(range.count)
        if m < middle - range.lowerBound {
            return path(m, range.lowerBound..<middle) + [hash(middle..<range.upperBound)]
        }
        return path(m - (middle - range.lowerBound), middle..<range.upperBound) + [hash(range.lowerBound..<middle)]
    }

    private func subproof(_ m: Int, _ range: Range<Int>, complete: Bool) -> [[UInt8]] {
        if m == range.count { return complete ? [] : [hash(range)] }
        let k = Self.split(range.count)
        let middle = range.lowerBound + k
        if m <= k {
            return subproof(m, range.lowerBound..<middle, complete: complete) + [hash(middle..<range.upperBound)]
        }
        return subproof(m - k, middle..<range.upperBound, complete: false) + [hash(range.lowerBound..<middle)]
    }

    /// The largest power of two smaller than `n` (`n > 1`).
    private static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }
}
