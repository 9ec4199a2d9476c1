import Foundation
import TallyLMDB

/// How a projection is doing, for operators.
package struct ProjectionStatus: Sendable, Equatable {
    /// Whether the projection is current with every event it was given.
    package enum State: Sendable, Equatable {
        /// Every event was applied.
        case healthy
        /// At least one event threw and is in a dead-letter record.
        case degraded
        /// Queries read the active version while this newer version builds from position 1.
        case rebuilding(Int)
    }

    package let name: String
    package let version: Int
    /// `inline` (in the append's transaction) or `async` (in the background, batch by batch).
    package let mode: String
    /// The last position the read model reflects.
    package let checkpoint: UInt64
    /// How far behind the log's head it is.
    package let lag: UInt64
    package let deadLetters: Int
    package let state: State
}

/// What an operator does with a dead letter.
package enum DeadLetterResolution: Sendable {
    /// Apply the event again (after fixing the projector or its data).
    case retry
    /// Give up on the event: the projector's ``Projector/skip(_:in:txn:)`` acknowledges it.
    case skip
}

/// An event a projector could not apply, kept so an operator can see why and retry or skip it.
package struct DeadLetter: Sendable, Equatable {
    package let projector: String
    package let position: UInt64
    /// The error the projector threw, as text.
    package let error: String
}

/// The inline projectors: applied inside the writer's transaction, right after each append's events.
///
/// Each projector applies each event in a nested transaction, so an event it throws on leaves no
/// half-written read model behind: it goes to `projection-dead-letters` instead, the projection
/// reports itself degraded, and the log and the other projectors carry on.
struct InlineProjections: Sendable {
    private let entries: [(projector: any Projector, table: ProjectionTable)]
    private let registry: ProjectionRegistry

    var isEmpty: Bool { entries.isEmpty }

    /// Opens each projector's namespace, drops namespaces of versions no longer registered, and
    /// builds any read model that is new (or of a new version) from position 1.
    init(projectors: [any Projector], environment: Environment, reader: LogReader, registry: ProjectionRegistry) throws
    {
        self.registry = registry
        entries = try projectors.map { projector in
            guard let database = try environment.openDatabase(projector.namespace) else {
                throw EventLogError.corrupted("database \(projector.namespace) is missing")
            }
            return (projector, ProjectionTable(database: database))
        }
        // Versions stored for each projector, and the databases of versions no longer registered:
        // opened before the write below, since opening a database takes a transaction of its own.
        let stored = try environment.read { txn in
            try projectors.map { try registry.activeVersion(of: $0.name, in: txn) }
        }
        let replaced = try zip(projectors, stored).map { projector, version -> Database? in
            guard let version, version != projector.version else { return nil }
            return try environment.openDatabase("projection.\(projector.name).v\(version)")
        }
        for (index, entry) in entries.enumerated() where stored[index] != entry.projector.version {
            try rebuild(entry, replacing: replaced[index], from: reader, environment: environment)
        }
    }

    /// The table of the registered projector named `name`.
    func table(named name: String) -> ProjectionTable? {
        entries.first { $0.projector.name == name }?.table
    }

    /// The registered projector named `name` and its table.
    func entry(named name: String) -> (projector: any Projector, table: ProjectionTable)? {
        entries.first { $0.projector.name == name }
    }

    /// Applies `events` to every projector that wants them.
    ///
    /// - Throws: only errors that end the whole batch (a full map, a storage fault).
    func apply(_ events: [RecordedEvent], in txn: borrowing WriteTransaction) throws {
        for entry in entries {
            try registry.apply(events, with: entry.projector, to: entry.table, in: txn)
        }
    }

    /// Lets every projector that wants the erased `event` forget its erased data.
    ///
    /// - Throws: ``EventLogError/erasureRefused(projector:position:reason:)`` if one refuses.
    func forget(_ event: RecordedEvent, in txn: borrowing WriteTransaction) throws {
        for entry in entries { try entry.projector.forgetIfWanted(event, in: entry.table, txn: txn) }
    }

    /// The status of every inline projection, as of `head`.
    func statuses(head: UInt64, in txn: borrowing some Transaction & ~Copyable) throws -> [ProjectionStatus] {
        try entries.map { entry in
            let letters = try registry.deadLetterRecords(of: entry.projector.name, in: txn).count
            return ProjectionStatus(
                name: entry.projector.name, version: entry.projector.version, mode: "inline", checkpoint: head, lag: 0,
                deadLetters: letters, state: letters == 0 ? .healthy : .degraded)
        }
    }

    /// Applies every event in the log to a fresh read model, a page at a time.
    ///
    /// Each page commits on its own (one huge transaction would make LMDB spill dirty pages); the
    /// version is recorded only after the last page, so a crash midway starts the rebuild over
    /// from an emptied table at the next open. The writer has not started yet: nothing appends
    /// or erases meanwhile, so each page is read and prepared (``Projector/prepare(_:)``) on
    /// another core while the page before it is applied.
    private func rebuild(
        _ entry: (projector: any Projector, table: ProjectionTable), replacing old: Database?, from reader: LogReader,
        environment: Environment
    ) throws {
        try environment.write { txn in
            if let old { try txn.drop(old) }  // this version's read model replaces it
            try txn.empty(entry.table.database)  // what an interrupted rebuild left behind
        }
        let registry = registry
        func prefetch(from start: UInt64) -> Prefetch<(page: PreparedPage, next: UInt64?)> {
            Prefetch {
                try environment.read { txn in
                    // A scan, not the type index: see ``AsyncProjections/step(_:limit:reader:in:)``.
                    let page = try reader.projectionFeed(from: start, limit: 4096, in: txn)
                    return (registry.prepare(page.events, for: entry.projector), page.next)
                }
            }
        }
        var upcoming: Prefetch? = prefetch(from: 1)
        defer { upcoming?.wait() }  // a read still running must end before the environment can close
        while let current = upcoming {
            let (page, next) = try current.value()
            upcoming = next.map(prefetch(from:))
            try environment.write { txn in try registry.apply(page, with: entry.projector, to: entry.table, in: txn) }
        }
        try environment.write { txn in
            try registry.setActiveVersion(entry.projector.version, of: entry.projector.name, in: txn)
        }
    }
}
