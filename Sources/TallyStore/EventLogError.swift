package import Foundation

/// Why the log refused or could not complete a request that was itself well-formed.
package enum EventLogError: Error, Equatable, Sendable {
    /// A stream is not at the revision the append expected; `actual` is `nil` when the stream has no events.
    case wrongExpectedRevision(stream: StreamID, expected: ExpectedRevision, actual: UInt64?)
    /// The DCB condition failed: the event at `position` matches the query and came after `after`.
    case appendConditionFailed(position: UInt64, after: UInt64)
    /// An event id already in the log arrived with different content, or only some of an
    /// append's ids were already in the log.
    case idempotencyConflict(id: UUID)
    /// A tree of `requested` leaves was asked for, but the log holds only `size` events.
    case treeTooSmall(size: UInt64, requested: UInt64)
    /// An inclusion proof was asked for a position that is not in the tree of `treeSize` events
    /// (position 0, or one beyond `treeSize`).
    case positionNotInTree(position: UInt64, treeSize: UInt64)
    /// A consistency proof was asked from a tree larger than the one it should lead to.
    case treeSizesOutOfOrder(oldSize: UInt64, newSize: UInt64)
    /// No checkpoint was signed at this tree size (`nil`: none was signed at all).
    case checkpointNotFound(size: UInt64?)
    /// No projection has this name.
    case unknownProjection(String)
    /// The projection is inline: it is rebuilt at open when its version changes, never while serving.
    case inlineProjectionNotRebuildable(String)
    /// The projector has no dead letter at this position.
    case noSuchDeadLetter(projector: String, position: UInt64)
    /// The stream has no events.
    case streamNotFound(StreamID)
    /// No event is at this position (it is beyond the head).
    case eventNotFound(position: UInt64)
    /// The event at `position` cannot be erased as asked, for `reason`.
    case notErasable(position: UInt64, reason: String)
    /// The projector's read model cannot do without the data the erasure would remove from the
    /// event at `position`; nothing was erased.
    case erasureRefused(projector: String, position: UInt64, reason: String)
    /// The write queue stayed full past the caller's deadline; retry later.
    case overloaded
    /// The disk or the largest allowed map has no room; nothing in the failed request was written.
    case storageFull
    /// The log has been closed.
    case closed
    /// Another open log, in this process or another (a running `tally serve`), writes to the
    /// directory at `path`; only one may.
    case inUse(path: String)
    /// The environment was created by a newer Tally whose format this build cannot read.
    case unsupportedFormat(version: UInt32)
    /// The stored log contradicts itself; stop and restore from a backup.
    case corrupted(String)
}
