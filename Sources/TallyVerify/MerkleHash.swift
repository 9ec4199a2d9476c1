package import Crypto

/// RFC 6962 / RFC 9162 (§2.1.1) hashing: leaves and interior nodes are domain-separated by a prefix byte.
package enum MerkleHash {
    /// The length of every hash in a tree, a proof or a tree head: 32 bytes (SHA-256).
    package static let byteCount = 32

    /// The root of the empty tree: SHA-256 of no bytes.
    package static let empty: [UInt8] = SHA256.hash(data: [UInt8]()).withUnsafeBytes { Array($0) }

    /// `SHA-256(0x00 ‖ content)`.
    package static func leaf(_ content: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(byte: 0x00)
        hasher.update(bytes: content)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// `SHA-256(0x00 ‖ content)` of content hashed where it lies, into a digest: no array is allocated.
    package static func leaf(_ content: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(byte: 0x00)
        hasher.update(bufferPointer: content)
        return hasher.finalize()
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    package static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(byte: 0x01)
        hasher.update(bytes: left)
        hasher.update(bytes: right)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }
}

// Through raw buffers rather than `update(data:)`: its generic walk over `DataProtocol` regions is
// not specialized in debug builds and made the proof tests, which hash millions of nodes, more than
// twice as slow there; the bytes hashed are the same.
extension SHA256 {
    fileprivate mutating func update(byte: UInt8) {
        withUnsafeBytes(of: byte) { update(bufferPointer: $0) }
    }

    fileprivate mutating func update(bytes: [UInt8]) {
        bytes.withUnsafeBytes { update(bufferPointer: $0) }
    }
}
