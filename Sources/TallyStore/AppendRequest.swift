import Foundation
package import TallyVerify

/// What a stream's revision must be for an append to go ahead.
package enum ExpectedRevision: Sendable, Equatable, Hashable {
    /// No check.
    case any
    /// The stream must have no events.
    case noStream
    /// The stream must have at least one event.
    case exists
    /// The stream's last event must have this revision (revisions count from 0).
    case exact(UInt64)

    /// Whether a stream whose last revision is `actual` (`nil`: no stream) satisfies this expectation.
    func isSatisfied(by actual: UInt64?) -> Bool {
        switch self {
        case .any: true
        case .noStream: actual == nil
        case .exists: actual != nil
        case .exact(let revision): actual == revision
        }
    }
}

/// Which events a read, subscription or append condition selects. Every given criterion must hold.
///
/// An empty filter selects every event.
package struct EventFilter: Sendable, Equatable, Hashable {
    /// The event's type is one of these (any type if empty).
    package var types: Set<String>
    /// The event carries every one of these tags.
    package var tags: Set<String>
    /// The event's stream belongs to this category (the part of its name before the first `-`).
    package var category: String?
    /// The event's stream name starts with these bytes.
    package var streamPrefix: String?

    /// A filter from any combination of criteria.
    package init(types: Set<String> = [], tags: Set<String> = [], category: String? = nil, streamPrefix: String? = nil)
    {
        self.types = types
        self.tags = tags
        self.category = category
        self.streamPrefix = streamPrefix
    }

    /// Selects every event.
    package static let all = EventFilter()

    /// Whether `event` is selected.
    package func matches(_ event: RecordedEvent) -> Bool {
        if !types.isEmpty, !types.contains(event.type) { return false }
        if !tags.isEmpty, !tags.isSubset(of: event.tags) { return false }
        if let category, event.stream.category != category { return false }
        if let streamPrefix, !event.stream.rawValue.utf8.starts(with: streamPrefix.utf8) { return false }
        return true
    }
}

/// A Dynamic Consistency Boundary condition: refuse the append if any event after
/// `after` matches any of the filters — "nothing relevant happened since I looked".
package struct AppendCondition: Sendable, Equatable {
    /// The filters, any one of which matching refuses the append. Empty means "any event at all".
    package var failIfEventsMatch: [EventFilter]
    /// The position the client's decision was based on; only later events count.
    package var after: UInt64

    /// A condition that fails if an event matching any of `filters` exists after position `after`.
    package init(failIfEventsMatch filters: [EventFilter], after: UInt64) {
        self.failIfEventsMatch = filters
        self.after = after
    }
}

/// One atomic append: events for one or more streams, and the conditions that must all hold.
package struct AppendRequest: Sendable, Equatable {
    /// The most events one append may carry.
    package static let maxEvents = 10_000

    /// The events, appended in this order with consecutive positions.
    package let events: [ProposedEvent]
    /// Per-stream expectations, checked before anything is written. Streams may be named
    /// here without receiving events, to make the append depend on them.
    package let expectations: [StreamID: ExpectedRevision]
    /// An optional DCB condition, checked atomically with the write.
    package let condition: AppendCondition?

    /// Validates an append.
    ///
    /// - Throws: ``EventValidationError`` if there are no events, too many, two with one id, or
    ///   one for a stream only the log writes (``StreamID/isReserved``).
    package init(
        events: [ProposedEvent], expectations: [StreamID: ExpectedRevision] = [:], condition: AppendCondition? = nil
    ) throws(EventValidationError) {
        if let index = events.firstIndex(where: \.stream.isReserved) {
            throw EventValidationError(.stream, .reserved, eventIndex: index)
        }
        try self.init(checking: events, expectations: expectations, condition: condition)
    }

    /// An append that puts back events an export holds, the log's own streams included.
    init(restoring events: [ProposedEvent]) throws(EventValidationError) {
        try self.init(checking: events, expectations: [:], condition: nil)
    }

    private init(
        checking events: [ProposedEvent], expectations: [StreamID: ExpectedRevision], condition: AppendCondition?
    ) throws(EventValidationError) {
        guard !events.isEmpty else { throw EventValidationError(.events, .empty) }
        guard events.count <= Self.maxEvents else { throw EventValidationError(.events, .tooLong(max: Self.maxEvents)) }
        var ids = Set<UUID>()
        for (index, event) in events.enumerated() where !ids.insert(event.id).inserted {
            throw EventValidationError(.id, .duplicateID, eventIndex: index)
        }
        self.events = events
        self.expectations = expectations
        self.condition = condition
    }

    /// A single-stream append with one expectation.
    package init(
        stream: StreamID, expected: ExpectedRevision = .any, events: [ProposedEvent]
    ) throws(EventValidationError) {
        try self.init(events: events, expectations: expected == .any ? [:] : [stream: expected])
    }

    /// Roughly how many bytes the append will write: bounds the size of a group commit.
    var estimatedBytes: Int { events.reduce(0) { $0 + $1.data.count + $1.metadata.count + 256 } }
}

/// What an acknowledged append produced, returned only after its commit is durable.
package struct AppendReceipt: Sendable, Equatable {
    /// The appended events as the writer stored them, in order (for a replay, as stored then).
    ///
    /// The writer's own copy: answering with them needs no read of the log, so an acknowledged
    /// append can always be answered in full.
    package let events: [RecordedEvent]
    /// Each touched stream's revision after the append.
    package let streamRevisions: [StreamID: UInt64]
    /// A Merkle tree head that includes these events: for a new append, the tree right after the
    /// group commit that made it durable (its size may exceed this append's last position); for a
    /// replay, the tree at the append's last position.
    package let checkpoint: TreeHead
    /// Whether this receipt is the original answer to an earlier identical append (nothing was written now).
    package let isReplay: Bool

    /// The positions the events occupy; `nil` for a command that changed nothing.
    package var positions: ClosedRange<UInt64>? {
        guard let first = events.first, let last = events.last else { return nil }
        return first.position...last.position
    }
}
