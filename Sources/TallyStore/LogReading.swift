package import TallyLMDB
package import TallyVerify

/// Reading the log: what both the serving ``EventLog`` and an offline ``ReadOnlyLog`` answer.
///
/// Every read is one short snapshot transaction, safe on any thread.
package protocol LogReading: Sendable {
    /// The environment holding the log and its read models.
    var environment: Environment { get }
    /// The log's databases and how to read them.
    var reader: LogReader { get }
}

extension LogReading {
    /// Runs `body` against one consistent snapshot of the log and its read models, with the
    /// position of the last event that snapshot holds: what a query's answer reflects.
    package func snapshot<R>(_ body: (borrowing ReadTransaction, UInt64) throws -> R) throws -> R {
        try environment.read { [reader] txn in try body(txn, try reader.head(in: txn)) }
    }

    /// The last position and the Merkle tree head over every committed event.
    package func treeHead() throws -> TreeHead {
        try environment.read { [reader] txn in try reader.treeHead(size: try reader.head(in: txn), in: txn) }
    }

    /// The Merkle tree head over the first `size` events, as it was when the log had `size` events.
    ///
    /// - Throws: ``EventLogError/treeTooSmall(size:requested:)`` if `size` is beyond the head.
    package func treeHead(size: UInt64) throws -> TreeHead {
        try environment.read { [reader] txn in
            let head = try reader.head(in: txn)
            guard size <= head else { throw EventLogError.treeTooSmall(size: head, requested: size) }
            return try reader.treeHead(size: size, in: txn)
        }
    }

    /// The inclusion proof of the event at `position` in the tree of the first `treeSize` events,
    /// read in one snapshot with O(log n) lookups of stored nodes.
    ///
    /// Check it against the ``TreeHead`` of the same size (``treeHead(size:)``), which never changes
    /// once the log has that many events, with the event's ``RecordedEvent/leafHash``.
    ///
    /// - Throws: ``EventLogError/treeTooSmall(size:requested:)`` if `treeSize` is beyond the head;
    ///   ``EventLogError/positionNotInTree(position:treeSize:)`` if `position` is 0 or beyond `treeSize`.
    package func inclusionProof(position: UInt64, treeSize: UInt64) throws -> InclusionProof {
        try environment.read { [reader] txn in
            try reader.inclusionProof(position: position, treeSize: treeSize, in: txn)
        }
    }

    /// The consistency proof from the tree of the first `oldSize` events to that of the first
    /// `newSize`, read in one snapshot with O(log n) lookups of stored nodes: evidence that the
    /// log only appended in between.
    ///
    /// - Throws: ``EventLogError/treeTooSmall(size:requested:)`` if `newSize` is beyond the head;
    ///   ``EventLogError/treeSizesOutOfOrder(oldSize:newSize:)`` if `oldSize > newSize`.
    package func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> ConsistencyProof {
        try environment.read { [reader] txn in try reader.consistencyProof(from: oldSize, to: newSize, in: txn) }
    }

    /// The signed checkpoint of the largest tree, or `nil` if none was signed yet.
    package func latestCheckpoint() throws -> StoredCheckpoint? {
        try environment.read { [reader] txn in try reader.latestCheckpoint(in: txn) }
    }

    /// The signed checkpoint of the tree of `size` events, or `nil` if none was signed at that size.
    package func checkpoint(size: UInt64) throws -> StoredCheckpoint? {
        try environment.read { [reader] txn in try reader.checkpoint(size: size, in: txn) }
    }

    /// Up to `limit` signed checkpoints of trees larger than `after`, smallest first.
    package func checkpoints(after: UInt64 = 0, limit: Int = 100) throws -> CheckpointPage {
        try environment.read { [reader] txn in try reader.checkpoints(after: after, limit: limit, in: txn) }
    }

    /// The event at `position`, or `nil` if there is none.
    package func event(at position: UInt64) throws -> RecordedEvent? {
        try environment.read { [reader] txn in try reader.event(at: position, in: txn) }
    }

    /// Reads a page of the whole log, oldest first or newest first, optionally filtered through the indexes.
    ///
    /// - Parameter from: The first position to consider (default: 1 forward, the head backward).
    package func read(
        from: UInt64? = nil, direction: ReadDirection = .forward, limit: Int = 100, filter: EventFilter = .all
    ) throws -> LogPage {
        try environment.read { [reader] txn in
            try reader.read(from: from, direction: direction, limit: limit, filter: filter, in: txn)
        }
    }

    /// Reads a page of one stream.
    ///
    /// - Parameter from: The first revision to read (default: 0 forward, the last backward).
    /// - Throws: ``EventLogError/streamNotFound(_:)`` if the stream has no events.
    package func readStream(
        _ stream: StreamID, from: UInt64? = nil, direction: ReadDirection = .forward, limit: Int = 100
    ) throws -> StreamPage {
        try environment.read { [reader] txn in
            try reader.readStream(stream, from: from, direction: direction, limit: limit, in: txn)
        }
    }

    /// The last revision and position of `stream`, or `nil` if it has no events.
    package func streamHead(_ stream: StreamID) throws -> StreamHead? {
        try environment.read { [reader] txn in try reader.streamHead(stream, in: txn) }
    }

    /// Lists streams whose names start with `prefix`, in byte order, a page at a time.
    package func streams(prefix: String = "", after: StreamID? = nil, limit: Int = 100) throws -> StreamList {
        try environment.read { [reader] txn in try reader.streams(prefix: prefix, after: after, limit: limit, in: txn) }
    }

    /// The log's head, stream count and map usage, read in one snapshot.
    package func status() throws -> LogStatus {
        try environment.read { [reader, environment] txn in
            LogStatus(
                treeHead: try reader.treeHead(size: try reader.head(in: txn), in: txn),
                streamCount: try reader.streamCount(in: txn),
                mapSize: environment.mapSize, usedBytes: environment.usedBytes)
        }
    }
}

/// A summary of the log for operators: how much it holds and how full its map is.
package struct LogStatus: Sendable, Equatable {
    /// The last position and the Merkle root over every event.
    package let treeHead: TreeHead
    /// The number of streams with at least one event.
    package let streamCount: Int
    /// The size of the memory map in bytes.
    package let mapSize: Int
    /// The bytes of the map in use.
    package let usedBytes: Int
}
