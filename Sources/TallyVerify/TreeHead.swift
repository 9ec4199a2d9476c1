/// The size and root of the log's Merkle tree at some moment: what a checkpoint signs.
package struct TreeHead: Sendable, Equatable, Hashable {
    /// The number of leaves, equal to the position of the last event covered.
    package let size: UInt64
    /// The RFC 6962 Merkle tree hash of the first `size` leaves (32 bytes).
    package let root: [UInt8]

    /// Wraps a size and its root.
    package init(size: UInt64, root: [UInt8]) {
        self.size = size
        self.root = root
    }
}
