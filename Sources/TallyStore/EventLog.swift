package import Logging
package import Metrics
package import TallyLMDB
package import TallyVerify

/// Tally's append-only event log in one LMDB environment: the only way events are written or read.
///
/// Appends go through one writer thread that group-commits; reads are short,
/// synchronous snapshot transactions that may run on any thread.
///
/// ```swift
/// let log = try EventLog(path: "./tally-data")
/// let event = try ProposedEvent(stream: StreamID("account-1"), type: "opened", data: Array(#"{"owner":"ada"}"#.utf8))
/// let receipt = try await log.append(AppendRequest(stream: event.stream, expected: .noStream, events: [event]))
/// let page = try log.readStream(event.stream)
/// ```
///
/// - Important: Open one `EventLog` per directory per process, and call ``close()`` before dropping it.
package final class EventLog: LogReading, Sendable {
    /// How the log opens its environment and bounds its writer.
    package struct Options: Sendable {
        /// The LMDB environment's options: initial map size, readers, durability.
        package var environment = Environment.Options()
        /// The largest the map may grow to when it fills up.
        package var maxMapSize = 1 << 40
        /// Appends that may wait for the writer before callers are held back.
        package var maxQueuedAppends = 4096
        /// The most appends one group commit takes.
        package var maxBatchAppends = 1024
        /// Roughly the most bytes one group commit writes (one large append may exceed it alone).
        package var maxBatchBytes = 32 << 20
        /// How long a caller waits for room in a full queue before ``EventLogError/overloaded``.
        package var enqueueTimeout = Duration.seconds(5)
        /// The events appended since the indexes keyed by name (streams, types, tags, categories)
        /// were last written to LMDB that make the writer write them (see ``IndexTail``). More
        /// means fewer pages written per event and a longer tail to index at open; each fold holds
        /// one batch up while it writes.
        package var indexTailEvents = 16_384
        /// The distinct keys (streams, types, tags, categories) those events may have before the
        /// writer writes them, whatever their number: each key is about one page a fold writes
        /// (and syncs), so this bounds how long one fold holds its batch up.
        package var indexTailKeys = 2048
        /// Where the writer reports commits, events and commit latency (default: swift-metrics' global factory).
        package var metrics: any MetricsFactory = MetricsSystem.factory

        /// Durable defaults: a 1 GiB map growing up to 1 TiB, 4096 queued appends, batches of up to 1024.
        package init() {}
    }

    /// The environment holding the log (and, beside it, the read models).
    package let environment: Environment
    package let reader: LogReader
    /// Keeps every other process from opening this log for writing while it is open.
    private let writerLock: WriterLock
    private let writer: LogWriter
    private let notifier: CommitNotifier
    private let inline: InlineProjections
    private let registry: ProjectionRegistry
    private let async: AsyncProjections
    /// Counts committed async projection steps, so readers waiting for a projection wake when it moves.
    private let projectionSteps = CommitNotifier(head: 0)
    /// Counts projection resets, so an idle projection runner wakes for one as for a commit.
    private let projectionResets = CommitNotifier(head: 0)

    /// Opens the log in `path`, creating the directory and an empty log if needed.
    ///
    /// - Throws: ``EventLogError/inUse(path:)`` if another open log (in any process) writes there;
    ///   ``EventLogError/unsupportedFormat(version:)`` if a newer Tally wrote the log;
    ///   ``EventLogError/corrupted(_:)`` if its Merkle nodes are missing; `LMDBError` from LMDB.
    package init(
        path: String, options: Options = .init(), inlineProjectors: [any Projector] = [],
        asyncProjectors: [any Projector] = [],
        logger: Logger = Logger(label: "tally", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        writerLock = try WriterLock(directory: path)
        environment = try Environment(path: path, options: options.environment)
        let schema = try LogSchema(environment: environment)
        reader = LogReader(schema: schema, tail: IndexTail(indexesItself: false))
        let state = try environment.write { [reader] txn in
            try Self.checkFormat(schema: schema, reader: reader, in: txn)
            try reader.tail.load(in: txn, reader: reader)
            let head = try reader.head(in: txn)
            return LogState(frontier: try MerkleFrontier(size: head, in: txn, nodes: schema.merkle))
        }
        registry = try ProjectionRegistry(environment: environment)
        inline = try InlineProjections(
            projectors: inlineProjectors, environment: environment, reader: reader, registry: registry)
        async = try AsyncProjections(projectors: asyncProjectors, environment: environment, registry: registry)
        notifier = CommitNotifier(head: state.head)
        writer = LogWriter(
            environment: environment, appender: LogAppender(reader: reader), inline: inline, registry: registry,
            notifier: notifier,
            limits: .init(
                maxQueuedAppends: options.maxQueuedAppends, maxBatchAppends: options.maxBatchAppends,
                maxBatchBytes: options.maxBatchBytes, enqueueTimeout: options.enqueueTimeout,
                maxMapSize: options.maxMapSize, indexTailEvents: options.indexTailEvents,
                indexTailKeys: options.indexTailKeys),
            measurements: .init(factory: options.metrics), initialState: state, logger: logger)
        logger.info("Opened the event log", metadata: ["data.dir": "\(path)", "log.position": "\(state.head)"])
    }

    /// Stamps the log with this build's format version, first recording that an older log's
    /// indexes hold every event (`indexed-through`); refuses a log from a newer format.
    private static func checkFormat(schema: LogSchema, reader: LogReader, in txn: borrowing WriteTransaction) throws {
        let stored = try txn.withValue(
            forKey: LogSchema.formatVersionKey, in: schema.meta, { UInt32(bigEndianBytes: $0) })
        if let stored, !LogSchema.readableFormats.contains(stored) {
            throw EventLogError.unsupportedFormat(version: stored)
        }
        guard stored != LogSchema.formatVersion else { return }
        // Before version 3 (and for a new log) every event is in the indexes.
        try txn.put(
            try reader.head(in: txn).bigEndianBytes, forKey: LogSchema.indexedThroughKey, in: schema.meta)
        try txn.put(LogSchema.formatVersion.bigEndianBytes, forKey: LogSchema.formatVersionKey, in: schema.meta)
    }

    /// Finishes every queued append, stops the writer, ends every subscription and closes the environment.
    ///
    /// Appends after `close()` throw ``EventLogError/closed``; the directory may then be opened again.
    package func close() {
        writer.stop()
        notifier.close()
        projectionSteps.close()
        projectionResets.close()
        environment.close()
        writerLock.release()
    }

    /// Appends `request` atomically once all its conditions hold, and returns after the commit is durable.
    ///
    /// - Throws: ``EventLogError`` when a condition fails, an id conflicts, the writer is
    ///   overloaded or storage is full; nothing of a failed append is written.
    @discardableResult
    package func append(_ request: AppendRequest) async throws -> AppendReceipt {
        try await receipt(of: .append(request))
    }

    /// Puts exported events back at their positions with their original times and ids, as one
    /// atomic commit, so that a log rebuilt from its export has the same Merkle tree.
    ///
    /// Events at positions the log already holds must be the stored ones (they are skipped, so
    /// an import that stopped resumes); the others must continue the log without a gap.
    /// Inline projectors apply them as they are written; async projectors catch up as usual.
    ///
    /// - Returns: Where the new events went and the tree head after the commit.
    /// - Throws: ``ImportError`` for an event that does not fit, with nothing of `events` written;
    ///   otherwise as ``append(_:)``.
    @discardableResult
    package func restore(_ events: [ExportedEvent]) async throws -> AppendReceipt {
        try await receipt(of: .restore(events))
    }

    private func receipt(of operation: WriteOperation) async throws -> AppendReceipt {
        guard case .receipt(let receipt) = try await writer.submit(operation) else {
            throw EventLogError.corrupted("the writer answered an append with something else")
        }
        return receipt
    }

    /// Runs `command` in the writer: it decides against the current state, and what it decides is
    /// appended atomically. Returns after the commit is durable.
    ///
    /// - Returns: The receipt; no events if the command changed nothing; the first run's receipt
    ///   if a command with the same id ran before.
    /// - Throws: the command's rejection; ``EventLogError/idempotencyConflict(id:)`` if its id ran
    ///   with a different fingerprint; otherwise as ``append(_:)``.
    @discardableResult
    package func execute(_ command: some CommandHandler) async throws -> AppendReceipt {
        try await receipt(of: .command(command))
    }

    /// Signs a checkpoint of the log's tree as it stands once earlier writes commit, and stores it
    /// under its tree size, unless the latest stored checkpoint is already of that size.
    ///
    /// - Returns: The latest checkpoint (the new one, or the one already at the head) and whether it is new.
    /// - Throws: ``CheckpointError`` for an origin that cannot be a checkpoint's first line; otherwise as ``append(_:)``.
    package func signCheckpoint(origin: String, with signer: CheckpointSigner) async throws
        -> (checkpoint: StoredCheckpoint, isNew: Bool)
    {
        guard
            case .checkpoint(let checkpoint, let isNew) = try await writer.submit(
                .signCheckpoint(CheckpointSigning(origin: origin, signer: signer)))
        else { throw EventLogError.corrupted("the writer answered a checkpoint with something else") }
        return (checkpoint, isNew)
    }

    /// Erases the data of the events `request` names: each keeps its place, leaf and metadata, its
    /// `data` becomes a tombstone (what the erasure kept, and the original's digest), every read
    /// model that folded it forgets it, and the erasure is appended to ``StreamID/erasures`` with
    /// who asked and why — all in one commit. Every proof and checkpoint stays valid.
    ///
    /// - Throws: ``EventLogError/eventNotFound(position:)``, ``EventLogError/notErasable(position:reason:)``,
    ///   ``EventLogError/erasureRefused(projector:position:reason:)``; otherwise as ``append(_:)``.
    ///   A refused erasure erases nothing.
    @discardableResult
    package func erase(_ request: ErasureRequest) async throws -> ErasureReceipt {
        guard case .erased(let receipt) = try await writer.submit(.erase(request, async)) else {
            throw EventLogError.corrupted("the writer answered an erasure with something else")
        }
        return receipt
    }

    /// The table of the inline projector named `name`, for its queries (and its commands' decisions).
    package func inlineTable(named name: String) -> ProjectionTable? {
        inline.table(named: name)
    }

    /// The status of every projection, inline ones first.
    package func projectionStatuses() throws -> [ProjectionStatus] {
        try environment.read { [reader, inline, async] txn in
            let head = try reader.head(in: txn)
            return try inline.statuses(head: head, in: txn) + async.statuses(head: head, in: txn)
        }
    }

    /// Runs `body` against one snapshot of the projection named `name`: its table, and the log
    /// position its contents reflect (the head for an inline projection, the checkpoint for an
    /// async one). `nil` if no projection has that name.
    package func queryProjection<R>(
        named name: String, _ body: (borrowing ReadTransaction, ProjectionTable, UInt64) throws -> R
    ) throws -> R? {
        if let table = inline.table(named: name) {
            return try snapshot { txn, head in try body(txn, table, head) }
        }
        guard let table = async.servingTable(named: name)?.table else { return nil }
        return try environment.read { [async] txn in
            try body(txn, table, try async.servingCheckpoint(named: name, in: txn) ?? 0)
        }
    }

    /// Keeps every async projection current until the task is cancelled or the log closes:
    /// applies a page of events per step, then waits for new commits.
    ///
    /// Call once, from the service that owns the log (its run loop, or a test's task group).
    ///
    /// - Parameter pageSize: The most events one step applies, in one writer transaction. A live
    ///   projection's steps are as small as the commits it follows; a rebuild's are full pages,
    ///   and a page rewrites every read-model page its events touch, so small pages multiply the
    ///   bytes written (`tally-bench --rebuild-only`, 300,000 events: 2.9 KB written per event at
    ///   1,024, 0.65 KB at 8,192; 51,000–62,000 → 115,000–117,000 events/s). Appends wait for a step in progress:
    ///   a full page of 8,192 ledger events holds the writer about 65 ms.
    ///
    /// Each step's page is read and prepared (``Projector/prepare(_:)``) by a task of its own, on
    /// another core, while the writer applies the step before: the writer only applies.
    package func runProjections(pageSize: Int = 8192) async throws {
        guard !async.names.isEmpty else { return }
        // The page of the next step, being read and prepared.
        var upcoming: (index: Int, page: Task<PrefetchedStep?, any Error>)?
        func prefetch(_ index: Int, after checkpoint: UInt64?) -> Task<PrefetchedStep?, any Error> {
            Task { try self.prefetchProjectionStep(index, after: checkpoint, pageSize: pageSize) }
        }
        do {
            while true {
                try Task.checkCancellation()
                var advanced = false
                let resets = projectionResets.head  // read before the check, so a reset after it wakes the wait
                let (head, pending) = try snapshot { [async] txn, head in
                    (head, try async.names.indices.filter { try async.needsStep($0, head: head, in: txn) })
                }
                for (order, index) in pending.enumerated() {
                    if let ahead = upcoming, ahead.index != index { _ = try? await ahead.page.value }
                    // A page that failed to read or prepare is read again by the writer.
                    let page = try? await (upcoming?.index == index ? upcoming!.page : prefetch(index, after: nil))
                        .value
                    // The next pending projector's page (this one's, if it is alone), read meanwhile.
                    let following = pending[(order + 1) % pending.count]
                    upcoming = (following, prefetch(following, after: following == index ? page?.through : nil))
                    let progress = try await projectionStep(index, prefetched: page, pageSize: pageSize)
                    if following == index, progress.checkpoint != page?.through, let ahead = upcoming {
                        // The writer did not use this page (the projector was reset, say): the next
                        // one follows a checkpoint it never reached.
                        _ = try? await ahead.page.value
                        upcoming = nil
                    }
                    advanced = advanced || progress.advanced
                }
                if !advanced { try await waitForCommitOrReset(beyond: head, resets: resets) }
            }
        } catch {
            // The log may close once this returns: no read of it may still be running.
            if let upcoming { _ = try? await upcoming.page.value }
            throw error
        }
    }

    /// The index of the async projection named `name`.
    func asyncProjectionIndex(named name: String) -> Int? { async.index(named: name) }

    /// Reads and prepares, from a snapshot, the page of the next step of the async projection at
    /// `index`: up to `pageSize` events after `checkpoint` (by default, its own). Off the writer.
    func prefetchProjectionStep(_ index: Int, after checkpoint: UInt64? = nil, pageSize: Int) throws
        -> PrefetchedStep?
    {
        try async.prefetch(index, after: checkpoint, limit: pageSize, reader: reader, environment: environment)
    }

    /// Runs one step of the async projection at `index` in the writer: with the `prefetched` page
    /// if it still fits (it follows the checkpoint, and nothing was erased since it was read).
    func projectionStep(_ index: Int, prefetched: PrefetchedStep?, pageSize: Int) async throws
        -> ProjectionProgress
    {
        guard
            case .projected(let progress) = try await writer.submit(
                .project(async, index: index, limit: pageSize, prefetched: prefetched))
        else { throw EventLogError.corrupted("the writer answered a projection step with something else") }
        if progress.switched { async.didSwitch(index) }
        if progress.advanced { projectionSteps.publish(projectionSteps.head + 1) }
        return progress
    }

    /// Waits until a commit moves the head beyond `head`, or a projection is reset after `resets`.
    private func waitForCommitOrReset(beyond head: UInt64, resets: UInt64) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [notifier] in _ = try await notifier.wait(beyond: head) }
            group.addTask { [projectionResets] in _ = try await projectionResets.wait(beyond: resets) }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Waits until the projection named `name` reflects position `position`, for at most `timeout`.
    ///
    /// - Returns: The position it reflects (at least `position`), or `nil` if the time ran out first.
    /// - Throws: ``EventLogError/unknownProjection(_:)`` for a name no projection has.
    package func waitForProjection(named name: String, toReach position: UInt64, timeout: Duration) async throws
        -> UInt64?
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            let steps = projectionSteps.head  // read before the check, so a step after it wakes the wait
            guard let reached = try queryProjection(named: name, { _, _, reached in reached }) else {
                throw EventLogError.unknownProjection(name)
            }
            if reached >= position { return reached }
            guard ContinuousClock.now < deadline else { return nil }
            // Woken by the projection's next step, or by the deadline.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await self.projectionSteps.wait(beyond: steps) }
                group.addTask { try await Task.sleep(until: deadline) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Folds the async projection named `name` again from position 1 — after its data was repaired
    /// or its code fixed without a version change — and returns once its table is emptied. The
    /// projection runner then rebuilds it; queries keep answering, each as of the position it states.
    ///
    /// - Throws: ``EventLogError/unknownProjection(_:)``;
    ///   ``EventLogError/inlineProjectionNotRebuildable(_:)`` for an inline one (commands decide from
    ///   it, so it must never be partial: bump its version and restart instead).
    package func rebuildProjection(named name: String) async throws {
        if inline.table(named: name) != nil { throw EventLogError.inlineProjectionNotRebuildable(name) }
        guard let index = async.index(named: name) else { throw EventLogError.unknownProjection(name) }
        guard case .projected = try await writer.submit(.resetProjection(async, index: index)) else {
            throw EventLogError.corrupted("the writer answered a projection reset with something else")
        }
        projectionResets.publish(projectionResets.head + 1)
        projectionSteps.publish(projectionSteps.head + 1)
    }

    /// Retries (applies again) or skips the dead letter of the projector named `name` at `position`.
    ///
    /// - Returns: whether the dead letter is resolved; a retry that fails again keeps it, with the new error.
    /// - Throws: ``EventLogError/unknownProjection(_:)``, ``EventLogError/noSuchDeadLetter(projector:position:)``.
    @discardableResult
    package func resolveDeadLetter(
        _ resolution: DeadLetterResolution, projector name: String, position: UInt64
    ) async throws -> Bool {
        guard let entry = inline.entry(named: name) ?? async.entry(named: name) else {
            throw EventLogError.unknownProjection(name)
        }
        let operation = WriteOperation.resolveDeadLetter(
            resolution, projector: entry.projector, table: entry.table, position: position)
        guard case .resolved(let resolved) = try await writer.submit(operation) else {
            throw EventLogError.corrupted("the writer answered a dead-letter resolution with something else")
        }
        return resolved
    }

    /// The events the projector named `name` could not apply, oldest first.
    package func deadLetters(of name: String) throws -> [DeadLetter] {
        try environment.read { [registry] txn in try registry.deadLetterRecords(of: name, in: txn) }
    }

    /// The events from position `from` on that `filter` selects: first those already in the log, then each new one as it commits.
    package func subscribe(from: UInt64 = 1, filter: EventFilter = .all, pageSize: Int = 512) -> EventSubscription {
        EventSubscription(log: self, from: max(from, 1), filter: filter, pageSize: pageSize)
    }

    /// Waits until the log's committed head is beyond `position`; returns the new head.
    func waitForCommit(beyond position: UInt64) async throws -> UInt64 {
        try await notifier.wait(beyond: position)
    }

    /// Waits until the log's committed head is beyond `position`, for at most `timeout`; returns whether it is.
    func waitForCommit(beyond position: UInt64, timeout: Duration) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [notifier] in
                _ = try await notifier.wait(beyond: position)
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
