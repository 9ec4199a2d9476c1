import Synchronization
import TallyLMDB

/// A page of one async projector's events, read from a snapshot and prepared off the writer,
/// for its next step (``AsyncProjections/prefetch(_:after:limit:reader:environment:)``).
struct PrefetchedStep: Sendable {
    /// The checkpoint the page follows: a step uses it only if the projector is still there.
    let after: UInt64
    /// The checkpoint once the page is applied: the last position it considered.
    let through: UInt64
    let page: PreparedPage
    /// The erasure count when the page was read.
    fileprivate let erasures: UInt64
}

/// What one background step of an async projector did.
struct ProjectionProgress: Sendable, Equatable {
    /// The read model's checkpoint after the step.
    let checkpoint: UInt64
    /// Whether the step applied any event or moved the checkpoint.
    let advanced: Bool
    /// Whether a new version caught up with the log and became the one queries read.
    let switched: Bool
}

/// The async projectors: kept current in the background, many events per step.
///
/// Each step runs in the writer (the only LMDB writer): it applies up to a page of the events the
/// projector wants after its checkpoint and writes the new checkpoint in the same transaction, so
/// every event reaches the read model exactly once, across crashes.
///
/// A projector whose version differs from the active one builds its new namespace from position 1
/// while queries keep reading the old one; the step that brings it level with the log makes it
/// active, atomically. (The old namespace is dropped at the next open, when no query can hold it.)
final class AsyncProjections: Sendable {
    private struct Entry: Sendable {
        let projector: any Projector
        let table: ProjectionTable
    }

    /// What queries read for one projection: the active version's table.
    private struct Serving: Sendable {
        let table: ProjectionTable
        let version: Int
        var namespace: String
    }

    private let entries: [Entry]
    private let serving: Mutex<[String: Serving]>
    private let registry: ProjectionRegistry
    /// Moves on when an erasure is applied and again when its batch ends: a page prefetched
    /// before either may hold data erased since, and is not used (see ``prefetch(_:after:limit:reader:environment:)``).
    private let erasures = Atomic<UInt64>(0)

    /// The names of the projectors, in registration order.
    var names: [String] { entries.map(\.projector.name) }

    init(projectors: [any Projector], environment: Environment, registry: ProjectionRegistry) throws {
        self.registry = registry
        func table(_ namespace: String) throws -> ProjectionTable {
            guard let database = try environment.openDatabase(namespace) else {
                throw EventLogError.corrupted("database \(namespace) is missing")
            }
            return ProjectionTable(database: database)
        }
        entries = try projectors.map { Entry(projector: $0, table: try table($0.namespace)) }
        let active = try environment.read { txn in
            try projectors.map { try registry.activeVersion(of: $0.name, in: txn) }
        }
        var serving: [String: Serving] = [:]
        var stale: [Database] = []
        for (entry, activeVersion) in zip(entries, active) {
            let name = entry.projector.name
            if let activeVersion, activeVersion != entry.projector.version {
                let namespace = "projection.\(name).v\(activeVersion)"
                serving[name] = Serving(table: try table(namespace), version: activeVersion, namespace: namespace)
            } else {
                serving[name] = Serving(
                    table: entry.table, version: entry.projector.version, namespace: entry.projector.namespace)
            }
            // A version that was active before the current one finished building, and since replaced.
            for version in 1..<max(entry.projector.version, 1) where version != activeVersion {
                if let old = try environment.openDatabase("projection.\(name).v\(version)") { stale.append(old) }
            }
        }
        try environment.write { [entries] txn in
            for (entry, activeVersion) in zip(entries, active) where activeVersion == nil {
                try registry.setActiveVersion(entry.projector.version, of: entry.projector.name, in: txn)
            }
            for database in stale { try txn.drop(database) }
        }
        self.serving = Mutex(serving)
    }

    /// Whether the projector at `index` has events to apply, or a finished build to switch to.
    func needsStep(_ index: Int, head: UInt64, in txn: borrowing some Transaction & ~Copyable) throws -> Bool {
        let entry = entries[index]
        let checkpoint = try registry.checkpoint(of: entry.projector.namespace, in: txn)
        let active = try registry.activeVersion(of: entry.projector.name, in: txn)
        return checkpoint < head || active != entry.projector.version
    }

    /// Reads and prepares, from a snapshot of its own, the page the next step of the projector at
    /// `index` will apply: up to `limit` wanted events after `checkpoint` (by default, the one it
    /// has now). Runs on any thread, while the writer does something else; `nil` if the
    /// projector is level with the snapshot's head.
    ///
    /// - Throws: `LMDBError` from storage only.
    func prefetch(
        _ index: Int, after checkpoint: UInt64?, limit: Int, reader: LogReader, environment: Environment
    ) throws -> PrefetchedStep? {
        let entry = entries[index]
        // Read before the snapshot opens: an erasure that commits in between moves it on after.
        let erasures = erasures.load(ordering: .acquiring)
        return try environment.read { [registry] txn in
            let after = try checkpoint ?? registry.checkpoint(of: entry.projector.namespace, in: txn)
            let head = try reader.head(in: txn)
            guard after < head else { return nil }
            let page = try reader.projectionFeed(from: after + 1, limit: limit, in: txn)
            return PrefetchedStep(
                after: after, through: page.next.map { $0 - 1 } ?? head,
                page: registry.prepare(page.events, for: entry.projector), erasures: erasures)
        }
    }

    /// Notes that a batch holding an erasure ended (committed or not), after its commit.
    func erasureBatchEnded() { erasures.add(1, ordering: .releasing) }

    /// Applies up to `limit` wanted events after the checkpoint of the projector at `index`: the
    /// `prefetched` page if it follows that checkpoint and no erasure came since it was read,
    /// else a page read here.
    ///
    /// Runs in the writer's transaction. Throws only errors that end the batch.
    func step(
        _ index: Int, limit: Int, prefetched: PrefetchedStep? = nil, reader: LogReader,
        in txn: borrowing WriteTransaction
    ) throws -> ProjectionProgress {
        let entry = entries[index]
        let namespace = entry.projector.namespace
        let head = try reader.head(in: txn)
        let checkpoint = try registry.checkpoint(of: namespace, in: txn)
        var next = checkpoint
        if checkpoint < head {
            if let prefetched, prefetched.after == checkpoint,
                prefetched.erasures == erasures.load(ordering: .acquiring)
            {
                try registry.apply(prefetched.page, with: entry.projector, to: entry.table, in: txn)
                next = prefetched.through
            } else {
                // A scan of the log, not the type index: projectors want most events, and a scan
                // reads each once, where the index would look each one up again.
                let page = try reader.projectionFeed(from: checkpoint + 1, limit: limit, in: txn)
                try registry.apply(page.events, with: entry.projector, to: entry.table, in: txn)
                // Without a next page, every event up to the head has been considered.
                next = page.next.map { $0 - 1 } ?? head
            }
            try registry.setCheckpoint(next, of: namespace, in: txn)
        }
        var switched = false
        if next == head, try registry.activeVersion(of: entry.projector.name, in: txn) != entry.projector.version {
            try registry.setActiveVersion(entry.projector.version, of: entry.projector.name, in: txn)
            switched = true
        }
        return ProjectionProgress(checkpoint: next, advanced: next != checkpoint || switched, switched: switched)
    }

    /// Empties the read model of the projector at `index`, its dead letters and its checkpoint, so
    /// that the next steps fold it again from position 1. Queries meanwhile read it as of the
    /// checkpoint it has reached — a consistent, older answer that states its position.
    ///
    /// Runs in the writer's transaction.
    func reset(_ index: Int, in txn: borrowing WriteTransaction) throws -> ProjectionProgress {
        let entry = entries[index]
        try txn.empty(entry.table.database)
        try registry.setCheckpoint(0, of: entry.projector.namespace, in: txn)
        try registry.removeDeadLetters(of: entry.projector.name, in: txn)
        return ProjectionProgress(checkpoint: 0, advanced: true, switched: false)
    }

    /// Lets every projector that wants the erased `event` forget its erased data, in the table of
    /// its registered version. (A version being replaced keeps serving its own table until the new
    /// one is level with the log; that table is dropped at the next open, erased data with it.)
    ///
    /// - Throws: ``EventLogError/erasureRefused(projector:position:reason:)`` if one refuses.
    func forget(_ event: RecordedEvent, in txn: borrowing WriteTransaction) throws {
        erasures.add(1, ordering: .releasing)
        for entry in entries { try entry.projector.forgetIfWanted(event, in: entry.table, txn: txn) }
    }

    /// The index of the projector named `name`.
    func index(named name: String) -> Int? {
        entries.firstIndex { $0.projector.name == name }
    }

    /// The registered projector named `name` and the table it writes.
    func entry(named name: String) -> (projector: any Projector, table: ProjectionTable)? {
        entries.first { $0.projector.name == name }.map { ($0.projector, $0.table) }
    }

    /// Makes queries read the new version of the projector at `index`; called once its switch committed.
    func didSwitch(_ index: Int) {
        let projector = entries[index].projector
        serving.withLock {
            $0[projector.name] = Serving(
                table: entries[index].table, version: projector.version, namespace: projector.namespace)
        }
    }

    /// The table queries of `name` read, and the registry key of its checkpoint; `nil` for an unknown name.
    func servingTable(named name: String) -> (table: ProjectionTable, namespace: String)? {
        serving.withLock { $0[name].map { ($0.table, $0.namespace) } }
    }

    /// The checkpoint of the version of `name` that queries read.
    func servingCheckpoint(named name: String, in txn: borrowing some Transaction & ~Copyable) throws -> UInt64? {
        guard let namespace = servingTable(named: name)?.namespace else { return nil }
        return try registry.checkpoint(of: namespace, in: txn)
    }

    /// The status of every async projection, as of `head`.
    func statuses(head: UInt64, in txn: borrowing some Transaction & ~Copyable) throws -> [ProjectionStatus] {
        try entries.map { entry in
            let name = entry.projector.name
            let current = serving.withLock { $0[name]! }
            let checkpoint = try registry.checkpoint(of: current.namespace, in: txn)
            let letters = try registry.deadLetterRecords(of: name, in: txn).count
            let building = current.version != entry.projector.version
            return ProjectionStatus(
                name: name, version: current.version, mode: "async", checkpoint: checkpoint,
                lag: head - min(checkpoint, head),
                deadLetters: letters,
                state: letters > 0 ? .degraded : building ? .rebuilding(entry.projector.version) : .healthy)
        }
    }
}
