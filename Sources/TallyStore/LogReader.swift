import TallyLMDB
import TallyVerify

/// Which way a read walks the log or a stream.
package enum ReadDirection: Sendable, Equatable {
    /// Oldest first.
    case forward
    /// Newest first.
    case backward
}

/// One page of a read of the whole log.
package struct LogPage: Sendable, Equatable {
    /// The events, in the direction read.
    package let events: [RecordedEvent]
    /// Where the next page starts (pass it as `from`), or `nil` if the read reached the end.
    package let next: UInt64?
    /// The log's last position when the page was read.
    package let head: UInt64
}

/// One page of a read of a single stream.
package struct StreamPage: Sendable, Equatable {
    /// The events, in the direction read.
    package let events: [RecordedEvent]
    /// The revision where the next page starts, or `nil` if the read reached the end of the stream.
    package let next: UInt64?
    /// The stream's last revision when the page was read.
    package let headRevision: UInt64
}

/// One page of the list of streams.
package struct StreamList: Sendable, Equatable {
    /// The streams, in byte order of their names.
    package let streams: [StreamHead]
    /// The last stream of this page, to pass as `after` for the next one; `nil` at the end.
    package let next: StreamID?
}

/// Reads the log's databases inside a transaction the caller holds; used by readers and the writer alike.
package struct LogReader: Sendable {
    let schema: LogSchema
    /// The indexes of the events after `indexed-through`.
    let tail: IndexTail

    /// The last position `stream-index`, `stream-heads` and the type, tag and category indexes
    /// hold (the head, for a log written before the indexes had a tail).
    func indexedThrough(in txn: borrowing some Transaction & ~Copyable) throws -> UInt64 {
        if let stored = try txn.withValue(
            forKey: LogSchema.indexedThroughKey, in: schema.meta, { UInt64(bigEndianBytes: $0) })
        {
            return stored
        }
        return try head(in: txn)
    }

    /// Calls `body` with what each event after `start`, up to `end`, adds to the indexes.
    func forEachTailEntry(
        after start: UInt64, through end: UInt64, in txn: borrowing some Transaction & ~Copyable,
        _ body: (TailEntry) throws -> Void
    ) throws {
        guard start < end else { return }
        try txn.withCursor(in: schema.events) { cursor in
            var entry = try cursor.seek(atLeast: (start + 1).bigEndianBytes)
            while let current = entry {
                let position = UInt64(bigEndianBytes: current.key)
                guard position <= end else { return }
                let event = try RecordedEvent(position: position, record: Array(current.value))
                try body(
                    TailEntry(
                        stream: event.stream, revision: event.revision, position: position, type: event.type,
                        tags: event.tags))
                entry = try cursor.next()
            }
        }
    }

    /// The position of the last event, 0 for an empty log.
    func head(in txn: borrowing some Transaction & ~Copyable) throws -> UInt64 {
        try txn.withCursor(in: schema.events) { cursor in
            try cursor.last().map { UInt64(bigEndianBytes: $0.key) } ?? 0
        }
    }

    /// The event at `position`, or `nil` if there is none.
    func event(at position: UInt64, in txn: borrowing some Transaction & ~Copyable) throws -> RecordedEvent? {
        try txn.value(forKey: position.bigEndianBytes, in: schema.events).map {
            try RecordedEvent(position: position, record: $0)
        }
    }

    /// The last revision and position of `stream`, or `nil` if it has no events.
    func streamHead(_ stream: StreamID, in txn: borrowing some Transaction & ~Copyable) throws -> StreamHead? {
        try streamHead(stream, tail: try tail.view(in: txn, reader: self), in: txn)
    }

    /// The last revision and position of `stream`, with the tail as `tail` (this snapshot's) holds it.
    func streamHead(
        _ stream: StreamID, tail: TailView, in txn: borrowing some Transaction & ~Copyable
    ) throws -> StreamHead? {
        try streamHead(tail.entries(of: stream), in: txn)
    }

    private func streamHead(_ tail: TailEntries, in txn: borrowing some Transaction & ~Copyable) throws -> StreamHead? {
        if let head = tail.last { return head }
        return try txn.withValue(forKey: Array(tail.stream.rawValue.utf8), in: schema.streamHeads) {
            try StreamHead(stream: tail.stream, stored: $0)
        }
    }

    /// The number of streams with at least one event.
    func streamCount(in txn: borrowing some Transaction & ~Copyable) throws -> Int {
        try txn.count(in: schema.streamHeads) + tail.view(in: txn, reader: self).newStreamCount
    }

    /// The position of the event with `id`, or `nil` if the log has none.
    func position(ofEventID id: [UInt8], in txn: borrowing some Transaction & ~Copyable) throws -> UInt64? {
        try txn.withValue(forKey: id, in: schema.eventIDs) { UInt64(bigEndianBytes: $0) }
    }

    /// The Merkle tree head after the first `size` events.
    func treeHead(size: UInt64, in txn: borrowing some Transaction & ~Copyable) throws -> TreeHead {
        try MerkleFrontier(size: size, in: txn, nodes: schema.merkle).head
    }

    /// Reads up to `limit` events of `stream` starting at revision `from` (default: the first
    /// revision forward, the last backward).
    ///
    /// - Throws: ``EventLogError/streamNotFound(_:)`` if the stream has no events.
    func readStream(
        _ stream: StreamID, from: UInt64?, direction: ReadDirection, limit: Int,
        in txn: borrowing some Transaction & ~Copyable
    ) throws -> StreamPage {
        let tail = try tail.view(in: txn, reader: self).entries(of: stream)
        guard let head = try streamHead(tail, in: txn) else { throw EventLogError.streamNotFound(stream) }
        let revisions: [UInt64]
        let next: UInt64?
        switch direction {
        case .forward:
            let start = from ?? 0
            guard start <= head.revision, limit > 0 else {
                return StreamPage(events: [], next: nil, headRevision: head.revision)
            }
            let end = min(head.revision, start + UInt64(limit) - 1)
            revisions = Array(start...end)
            next = end < head.revision ? end + 1 : nil
        case .backward:
            let start = min(from ?? head.revision, head.revision)
            guard limit > 0 else { return StreamPage(events: [], next: nil, headRevision: head.revision) }
            let end = start >= UInt64(limit) - 1 ? start - (UInt64(limit) - 1) : 0
            revisions = (end...start).reversed()
            next = end > 0 ? end - 1 : nil
        }
        let events = try revisions.map { revision in
            guard let position = try position(ofRevision: revision, tail: tail, in: txn),
                let event = try event(at: position, in: txn)
            else { throw EventLogError.corrupted("stream \(stream) has no event at revision \(revision)") }
            return event
        }
        return StreamPage(events: events, next: next, headRevision: head.revision)
    }

    /// The position of the event at `revision` of the stream `tail` belongs to, or `nil`.
    private func position(
        ofRevision revision: UInt64, tail: TailEntries, in txn: borrowing some Transaction & ~Copyable
    ) throws -> UInt64? {
        if let position = tail.position(ofRevision: revision) { return position }
        return try txn.withValue(
            forKey: LogSchema.streamIndexKey(tail.stream, revision: revision), in: schema.streamIndex
        ) {
            UInt64(bigEndianBytes: $0)
        }
    }

    /// Lists streams whose names start with `prefix`, after the stream `after`, in byte order.
    func streams(
        prefix: String, after: StreamID?, limit: Int, in txn: borrowing some Transaction & ~Copyable
    ) throws -> StreamList {
        let tail = try tail.view(in: txn, reader: self)
        // One entry more than asked for tells whether another page follows.
        let wanted = max(limit, 0) + 1
        let entries = try ProjectionTable(database: schema.streamHeads).scan(
            prefix: Array(prefix.utf8), after: after.map { Array($0.rawValue.utf8) }, limit: wanted, in: txn)
        let folded = try entries.map { entry in
            let stream = StreamID(stored: String(decoding: entry.key, as: UTF8.self))
            return try tail.head(of: stream)
                ?? entry.value.withUnsafeBytes { value in try StreamHead(stream: stream, stored: value) }
        }
        // Streams that began in the tail are not in `stream-heads` yet: merge them in by name.
        let streams = Self.merged(folded, tail.newStreams(prefix: prefix, after: after), limit: wanted)
        let heads = Array(streams.prefix(max(limit, 0)))
        let more = streams.count > heads.count
        return StreamList(streams: heads, next: more ? heads.last?.stream : nil)
    }

    /// The first `limit` of two lists of distinct streams, each in byte order, in byte order.
    private static func merged(_ first: [StreamHead], _ second: [StreamHead], limit: Int) -> [StreamHead] {
        var merged: [StreamHead] = []
        var (left, right) = (first[...], second[...])
        while merged.count < limit, let next = Self.smaller(left.first, right.first) {
            merged.append(next)
            if next.stream == left.first?.stream { left.removeFirst() } else { right.removeFirst() }
        }
        return merged
    }

    private static func smaller(_ left: StreamHead?, _ right: StreamHead?) -> StreamHead? {
        guard let left, let right else { return left ?? right }
        return left.stream < right.stream ? left : right
    }

    /// Reads up to `limit` events selected by `filter`, starting at position `from` (inclusive;
    /// default: the start forward, the head backward). Filters are served from indexes.
    func read(
        from: UInt64?, direction: ReadDirection, limit: Int, filter: EventFilter,
        in txn: borrowing some Transaction & ~Copyable
    ) throws -> LogPage {
        let head = try head(in: txn)
        let start = direction == .forward ? max(from ?? 1, 1) : min(from ?? head, head)
        guard limit > 0, start >= 1, start <= head else { return LogPage(events: [], next: nil, head: head) }
        if filter == .all {
            return try scan(from: start, direction: direction, limit: limit, maxBytes: .max, head: head, in: txn)
        }
        var matches: [RecordedEvent] = []
        for source in try sources(for: filter, in: txn) {
            // Each source yields positions in order; keep at most `limit` matches from each, then merge.
            var found = 0
            try walk(source, from: start, direction: direction, in: txn) { position in
                guard let event = try event(at: position, in: txn) else {
                    throw EventLogError.corrupted("an index names position \(position), which has no event")
                }
                if filter.matches(event) {
                    matches.append(event)
                    found += 1
                }
                return found < limit
            }
        }
        if direction == .forward {
            matches.sort { $0.position < $1.position }
        } else {
            matches.sort { $0.position > $1.position }
        }
        guard matches.count >= limit else { return LogPage(events: matches, next: nil, head: head) }
        let page = Array(matches.prefix(limit))
        let last = page.last!.position
        let next: UInt64? = direction == .forward ? (last < head ? last + 1 : nil) : (last > 1 ? last - 1 : nil)
        return LogPage(events: page, next: next, head: head)
    }

    /// The page a projection step folds: up to `limit` events from `start` on, and no more once
    /// their records reach ``projectionFeedBytes`` (always at least one event), so that a page of
    /// large events stays a bounded amount of memory and of one write transaction.
    func projectionFeed(
        from start: UInt64, limit: Int, in txn: borrowing some Transaction & ~Copyable
    ) throws -> LogPage {
        let head = try head(in: txn)
        guard limit > 0, start >= 1, start <= head else { return LogPage(events: [], next: nil, head: head) }
        return try scan(
            from: start, direction: .forward, limit: limit, maxBytes: Self.projectionFeedBytes, head: head, in: txn)
    }

    /// The record bytes one projection step reads at most (``projectionFeed(from:limit:in:)``).
    static let projectionFeedBytes = 16 << 20

    /// Reads the `events` database itself with one cursor: the unfiltered read.
    private func scan(
        from start: UInt64, direction: ReadDirection, limit: Int, maxBytes: Int, head: UInt64,
        in txn: borrowing some Transaction & ~Copyable
    ) throws -> LogPage {
        var events: [RecordedEvent] = []
        events.reserveCapacity(min(limit, 4096))
        var bytes = 0
        try txn.withCursor(in: schema.events) { cursor in
            var entry = try cursor.seek(atLeast: start.bigEndianBytes)
            while let current = entry, events.count < limit, bytes < maxBytes {
                events.append(
                    try RecordedEvent(position: UInt64(bigEndianBytes: current.key), record: Array(current.value)))
                bytes += current.value.count
                entry = try direction == .forward ? cursor.next() : cursor.previous()
            }
        }
        let last = events.last!.position  // `start` is within 1...head, so the first seek found it
        let next: UInt64? = direction == .forward ? (last < head ? last + 1 : nil) : (last > 1 ? last - 1 : nil)
        return LogPage(events: events, next: events.count == limit || bytes >= maxBytes ? next : nil, head: head)
    }

    /// Where a filtered read finds its candidate positions.
    private enum Source {
        /// The positions stored under `key` in a duplicate-sorted index, then those its tail holds.
        case index(Database, key: [UInt8], tail: ArraySlice<UInt64>)
        /// The events of one stream, through the stream index (and its tail as the read sees it).
        case stream(StreamHead, TailEntries)
    }

    /// The index walks that together yield every event `filter` can select: one tag (every
    /// event must carry all tags), else each type, else the category, else each stream with the prefix.
    /// Never called for ``EventFilter/all``, which ``scan(from:direction:limit:head:in:)`` serves.
    private func sources(for filter: EventFilter, in txn: borrowing some Transaction & ~Copyable) throws -> [Source] {
        let tail = try tail.view(in: txn, reader: self)
        func posting(_ index: PostingKey.Index, _ database: Database, _ name: String) -> Source {
            .index(database, key: Array(name.utf8), tail: tail.positions(of: PostingKey(index: index, name: name)))
        }
        if let tag = filter.tags.min() { return [posting(.tag, schema.tags, tag)] }
        if !filter.types.isEmpty { return filter.types.sorted().map { posting(.type, schema.types, $0) } }
        if let category = filter.category { return [posting(.category, schema.categories, category)] }
        if let prefix = filter.streamPrefix {
            var sources: [Source] = []
            var after: StreamID?
            repeat {
                let list = try streams(prefix: prefix, after: after, limit: 1024, in: txn)
                sources += list.streams.map { Source.stream($0, tail.entries(of: $0.stream)) }
                after = list.next
            } while after != nil
            return sources
        }
        preconditionFailure("an empty filter is a scan of the log")
    }

    /// Calls `body` with each position `source` holds from `start` on in `direction`, until it returns `false`.
    private func walk(
        _ source: Source, from start: UInt64, direction: ReadDirection,
        in txn: borrowing some Transaction & ~Copyable, _ body: (UInt64) throws -> Bool
    ) throws {
        switch source {
        case .index(let database, let key, let tail):
            // The tail's positions all follow the database's: walk them before it backward, after it forward.
            if direction == .backward {
                for position in tail.reversed() where position <= start {
                    guard try body(position) else { return }
                }
            }
            let stopped = try txn.withCursor(in: database) { cursor -> Bool in
                var entry = try cursor.seek(key: key, valueAtLeast: start.bigEndianBytes)
                if direction == .backward {
                    if let found = entry {
                        if UInt64(bigEndianBytes: found.value) > start { entry = try cursor.previousDuplicate() }
                    } else if try cursor.seek(exactly: key) != nil {
                        entry = try cursor.lastDuplicate()
                    }
                }
                while let current = entry {
                    guard try body(UInt64(bigEndianBytes: current.value)) else { return true }
                    entry = try direction == .forward ? cursor.nextDuplicate() : cursor.previousDuplicate()
                }
                return false
            }
            if direction == .forward, !stopped {
                for position in tail where position >= start {
                    guard try body(position) else { return }
                }
            }
        case .stream(let head, let tail):
            guard var revision = try firstRevision(of: head, from: start, direction: direction, tail: tail, in: txn)
            else { return }
            while let position = try position(ofRevision: revision, tail: tail, in: txn) {
                guard try body(position) else { return }
                if direction == .forward {
                    revision += 1
                } else {
                    guard revision > 0 else { return }
                    revision -= 1
                }
            }
        }
    }

    /// Binary-searches `head`'s stream for its first revision at or after `start` (forward),
    /// or its last at or before `start` (backward).
    private func firstRevision(
        of head: StreamHead, from start: UInt64, direction: ReadDirection, tail: TailEntries,
        in txn: borrowing some Transaction & ~Copyable
    ) throws -> UInt64? {
        // Find the number of revisions whose position is below `start` (forward) or at most `start` (backward).
        var low: UInt64 = 0
        var high = head.revision + 1
        while low < high {
            let middle = low + (high - low) / 2
            guard let position = try position(ofRevision: middle, tail: tail, in: txn) else {
                throw EventLogError.corrupted("stream \(head.stream) has no event at revision \(middle)")
            }
            let before = direction == .forward ? position < start : position <= start
            if before { low = middle + 1 } else { high = middle }
        }
        switch direction {
        case .forward: return low <= head.revision ? low : nil
        case .backward: return low > 0 ? low - 1 : nil
        }
    }
}
