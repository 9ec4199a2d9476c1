import TallyVerify

/// RFC 9162's recursive definitions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF) over one list of
/// leaves, written independently of the verifier and of the store's proof generation: the tests'
/// second opinion. It remembers each subtree hash it computes, so trees of a thousand leaves stay
/// quick in a debug build.
final class Reference {
    let leaves: [[UInt8]]
    private var hashes: [Range<Int>: [UInt8]] = [:]

    init(_ leaves: [[UInt8]]) { self.leaves = leaves }

    /// `MTH(D[n])`: the root of the first `size` leaves.
    func root(_ size: Int) -> [UInt8] { hash(0..<size) }

    /// `PATH(m, D[n])`: the inclusion proof of leaf `m` in the tree of the first `size` leaves.
    func path(_ m: Int, size: Int) -> [[UInt8]] { path(m, 0..<size) }

    /// `PROOF(m, D[n])`: the consistency proof from the first `m` leaves to the first `size`;
    /// empty for `m` 0 or `size`.
    func proof(_ m: Int, size: Int) -> [[UInt8]] { 0 < m && m < size ? subproof(m, 0..<size, complete: true) : [] }

    /// `MTH(D[range])`.
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
        let k = Self.split(range.count)
        let middle = range.lowerBound + k
        if m < k { return path(m, range.lowerBound..<middle) + [hash(middle..<range.upperBound)] }
        return path(m - k, middle..<range.upperBound) + [hash(range.lowerBound..<middle)]
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

/// SplitMix64: a tiny seeded generator, so a failing random tree can be rebuilt from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` random leaf hashes, the same for the same seed.
func randomLeaves(_ count: Int, seed: UInt64) -> [[UInt8]] {
    var generator = SplitMix64(state: seed)
    return (0..<count).map { _ in (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
}

/// Every way to flip one bit of `hash`, in order.
func singleBitFlips(of hash: [UInt8]) -> some Sequence<[UInt8]> {
    (0..<hash.count * 8).lazy.map { bit in
        var flipped = hash
        flipped[bit / 8] ^= 1 << UInt8(bit % 8)
        return flipped
    }
}

/// Whether `body` throws a ``ProofError``, that is, rejects what it checks.
func rejects(_ body: () throws(ProofError) -> Void) -> Bool {
    do {
        try body()
        return false
    } catch {
        return true
    }
}

extension [UInt8] {
    /// The bytes written in lower-case hexadecimal.
    init(hex: String) {
        let digits = Array(hex.utf8).map { $0 <= 0x39 ? $0 - 0x30 : $0 - 0x61 + 10 }
        self = stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// Lower-case hexadecimal.
    var hex: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
