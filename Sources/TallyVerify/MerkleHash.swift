import Crypto

/// RFC 6962 / RFC 9162 (§2.1.1) hashing: leaves and interior nodes are domain-separated by a prefix byte.
package enum MerkleHash {
    /// The length of every hash in a tree, a proof or a tree head: 32 bytes (SHA-256).
    package static let byteCount = 32

    /// The root of the empty tree: SHA-256 of no bytes.
    package static let empty: [UInt8] = SHA256.hash(data: [UInt8]()).withUnsafeBytes { Array($0) }

    /// `SHA-256(0x00 ‖ content)`.
    package static func leaf(_ content: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: content)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    package static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }
}
