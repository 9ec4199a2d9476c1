import TallyLMDB
import TallyVerify

/// A signed checkpoint as the log stored it: the tree size it is for and the signed note's text.
package struct StoredCheckpoint: Sendable, Equatable {
    /// The tree size the checkpoint states, its key in `checkpoints`.
    package let size: UInt64
    /// The signed note, byte for byte as signed (C2SP `signed-note` around a `tlog-checkpoint`).
    package let note: String

    /// Wraps a stored note.
    package init(size: UInt64, note: String) {
        self.size = size
        self.note = note
    }
}

/// One page of the checkpoint history.
package struct CheckpointPage: Sendable, Equatable {
    /// The checkpoints, smallest tree first.
    package let checkpoints: [StoredCheckpoint]
    /// The tree size to pass as `after` for the next page, or `nil` at the end.
    package let next: UInt64?
}

extension LogReader {
    /// The checkpoint of the largest tree, or `nil` if none was signed.
    func latestCheckpoint(in txn: borrowing some Transaction & ~Copyable) throws -> StoredCheckpoint? {
        guard let database = schema.checkpoints else { return nil }
        return try txn.withCursor(in: database) { cursor in try cursor.last().map(StoredCheckpoint.init(entry:)) }
    }

    /// The checkpoint of the tree of `size` events, or `nil` if none was signed at that size.
    func checkpoint(size: UInt64, in txn: borrowing some Transaction & ~Copyable) throws -> StoredCheckpoint? {
        guard let database = schema.checkpoints else { return nil }
        return try txn.value(forKey: size.bigEndianBytes, in: database).map {
            StoredCheckpoint(size: size, note: String(decoding: $0, as: UTF8.self))
        }
    }

    /// Up to `limit` checkpoints of trees larger than `after`, smallest first.
    func checkpoints(after: UInt64, limit: Int, in txn: borrowing some Transaction & ~Copyable) throws
        -> CheckpointPage
    {
        guard let database = schema.checkpoints, after < .max else { return CheckpointPage(checkpoints: [], next: nil) }
        return try txn.withCursor(in: database) { cursor in
            var found: [StoredCheckpoint] = []
            var entry = try cursor.seek(atLeast: (after + 1).bigEndianBytes)
            while let current = entry, found.count < limit {
                found.append(try StoredCheckpoint(entry: current))
                entry = try cursor.next()
            }
            return CheckpointPage(checkpoints: found, next: entry == nil ? nil : found.last?.size)
        }
    }
}

extension StoredCheckpoint {
    init(entry: Cursor.Entry) throws {
        guard entry.key.count == 8 else { throw EventLogError.corrupted("checkpoint key of \(entry.key.count) bytes") }
        self.init(size: UInt64(bigEndianBytes: entry.key), note: String(decoding: entry.value, as: UTF8.self))
    }
}

/// Signs checkpoints of the log's tree in the writer: what ``EventLog/signCheckpoint(origin:with:)`` hands it.
struct CheckpointSigning: Sendable {
    /// The log's origin line.
    let origin: String
    /// The key that signs.
    let signer: CheckpointSigner

    /// Signs and stores a checkpoint of the tree as `txn` holds it, unless the latest stored one
    /// is already of that size, with this origin and key. Returns the latest checkpoint and whether it is new.
    ///
    /// After a change of key or origin the head's checkpoint is signed again at once and replaces
    /// the stored one of the same size (whose holders can still check it with the old key).
    func sign(reader: LogReader, in txn: borrowing WriteTransaction) throws -> (StoredCheckpoint, isNew: Bool) {
        guard let database = reader.schema.checkpoints else {
            throw EventLogError.corrupted("the checkpoints database is missing")
        }
        let size = try reader.head(in: txn)
        let latest = try reader.latestCheckpoint(in: txn)
        if let latest, latest.size > size || (latest.size == size && isCurrent(latest)) { return (latest, false) }
        let head = try reader.treeHead(size: size, in: txn)
        let signed = try signer.sign(try Checkpoint(origin: origin, treeHead: head))
        // Sizes only grow, so every new key sorts last; a re-signed head replaces its own entry.
        try txn.put(
            Array(signed.text.utf8), forKey: size.bigEndianBytes, in: database,
            flags: latest?.size == size ? [] : .append)
        return (StoredCheckpoint(size: size, note: signed.text), true)
    }

    /// Whether `stored` was signed by this signer's key for this origin.
    private func isCurrent(_ stored: StoredCheckpoint) -> Bool {
        guard let signed = try? SignedCheckpoint(verifying: stored.note, with: signer.verifier) else { return false }
        return signed.checkpoint.origin == origin
    }
}
