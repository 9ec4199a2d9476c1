import Dispatch
import Foundation
import Logging
import Metrics
import Synchronization
import TallyLMDB
import TallyVerify

/// The one thread that writes to LMDB, committing queued appends in groups.
///
/// LMDB allows one write transaction at a time and binds it to the thread that
/// began it, and its commit blocks on `fsync`. So a dedicated thread (not a task
/// on Swift's cooperative pool) drains the queue: it applies every queued append
/// in one transaction, commits the batch **once** (one sync for the group), and only
/// then answers each caller.
///
/// Appends are isolated without a nested transaction each: ``LogAppender`` checks
/// everything before it writes, so a refused append has written nothing. The rare
/// append that fails *after* writing (a value LMDB refuses) makes the writer abandon
/// the transaction and redo the batch without it. Nested transactions were measured
/// to cost more CPU than the rest of an append (each copies the pages it touches).
final class LogWriter: Sendable {
    /// Bounds on the queue and on one group commit.
    struct Limits: Sendable {
        var maxQueuedAppends: Int
        var maxBatchAppends: Int
        var maxBatchBytes: Int
        var enqueueTimeout: Duration
        var maxMapSize: Int
        /// The events the index tail may hold before the writer folds it into LMDB.
        var indexTailEvents: Int
        /// The keys (streams, types, tags, categories) the tail may hold before the writer folds
        /// it: bounds the pages one fold writes.
        var indexTailKeys: Int
    }

    /// What the writer reports through swift-metrics.
    struct Measurements: Sendable {
        /// Group commits that succeeded.
        let commits: Counter
        /// Events committed.
        let events: Counter
        /// Operations (appends, commands, projection steps) per group commit.
        let batchOperations: Recorder
        /// Time from a batch's first write to its durable commit.
        let commitDuration: Timer

        init(factory: any MetricsFactory) {
            commits = Counter(label: "tally_commits_total", factory: factory)
            events = Counter(label: "tally_events_appended_total", factory: factory)
            batchOperations = Recorder(label: "tally_commit_batch_operations", factory: factory)
            commitDuration = Timer(label: "tally_commit_duration_seconds", factory: factory)
        }
    }

    private struct Queue {
        var pending: [PendingAppend] = []
        /// Slots taken by callers, whether or not their append is in `pending` yet.
        var reserved = 0
        var stopping = false
    }

    private let environment: Environment
    private let appender: LogAppender
    private let inline: InlineProjections
    private let registry: ProjectionRegistry
    private let notifier: CommitNotifier
    private let limits: Limits
    private let measurements: Measurements
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(
        environment: Environment, appender: LogAppender, inline: InlineProjections, registry: ProjectionRegistry,
        notifier: CommitNotifier, limits: Limits, measurements: Measurements, initialState: LogState, logger: Logger
    ) {
        self.measurements = measurements
        self.registry = registry
        self.environment = environment
        self.appender = appender
        self.inline = inline
        self.notifier = notifier
        self.limits = limits
        self.logger = logger
        let thread = Thread { [self] in run(from: initialState) }
        thread.name = "tally-writer"
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Queues `operation` and returns its receipt once the batch holding it has committed.
    ///
    /// - Throws: ``EventLogError/overloaded`` if the queue stays full past the deadline,
    ///   ``EventLogError/closed`` after ``stop()``, or whatever the append or command itself threw.
    func submit(_ operation: WriteOperation) async throws -> WriteResult {
        let deadline = ContinuousClock.now + limits.enqueueTimeout
        var pause = Duration.microseconds(100)
        while true {
            let reserved = try queue.withLock { queue throws(EventLogError) -> Bool in
                guard !queue.stopping else { throw .closed }
                guard queue.reserved < limits.maxQueuedAppends else { return false }
                queue.reserved += 1
                return true
            }
            if reserved { break }
            // Full: wait, backing off, until the writer drains it or the deadline passes.
            guard ContinuousClock.now < deadline else { throw EventLogError.overloaded }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(10))
        }
        return try await withCheckedThrowingContinuation { continuation in
            let pending = PendingAppend(operation: operation, continuation: continuation)
            queue.withLock { $0.pending.append(pending) }
            wakeUp.signal()
        }
    }

    /// Lets the writer finish every queued append, then stops its thread and waits for it. Safe to call repeatedly.
    func stop() {
        queue.withLock { $0.stopping = true }
        wakeUp.signal()
        finished.wait()
        finished.signal()  // let any other caller of `stop()` through too
    }

    // MARK: - The writer thread

    private func run(from initialState: LogState) {
        var state = initialState
        while let batch = nextBatch() {
            state = commit(batch, from: state)
        }
        finished.signal()
    }

    /// Takes the next group of appends, waiting while there are none; `nil` once stopping and empty.
    private func nextBatch() -> [PendingAppend]? {
        while true {
            let taken: [PendingAppend]? = queue.withLock { queue in
                guard !queue.pending.isEmpty else { return queue.stopping ? nil : [] }
                var count = 0
                var bytes = 0
                while count < queue.pending.count, count < limits.maxBatchAppends,
                    count == 0 || bytes + queue.pending[count].operation.estimatedBytes <= limits.maxBatchBytes
                {
                    bytes += queue.pending[count].operation.estimatedBytes
                    count += 1
                }
                let batch = Array(queue.pending.prefix(count))
                queue.pending.removeFirst(count)
                queue.reserved -= count
                return batch
            }
            guard let taken else { return nil }
            if !taken.isEmpty { return taken }
            if wakeUp.wait(timeout: .now() + Self.idleReaderCheckInterval) == .timedOut { clearStaleReaders() }
        }
    }

    /// Applies `batch` in one write transaction, commits it once, and answers every caller.
    /// Returns the state after the commit (or `committed` unchanged if the commit failed).
    private func commit(_ batch: [PendingAppend], from committed: LogState) -> LogState {
        defer {
            // After the commit: pages prefetched before it may hold what the batch erased.
            for pending in batch {
                if case .erase(_, let async) = pending.operation { async.erasureBatchEnded() }
            }
        }
        var batch = batch
        let tail = appender.reader.tail
        while true {
            var state = committed
            var folded: UInt64?
            let started = ContinuousClock.now
            tail.truncate(after: committed.head)  // what an attempt that did not commit left there
            do {
                let recordedAt = Timestamp.now
                try environment.write { txn in
                    for pending in batch {
                        try apply(pending, state: &state, recordedAt: recordedAt, in: txn)
                    }
                    let size = tail.size
                    if size.events >= limits.indexTailEvents || size.keys >= limits.indexTailKeys {
                        folded = try appender.foldIndexTail(in: txn)
                    }
                }
            } catch let failure as PartialWrite {
                // Its writes are in the transaction that was just abandoned: answer it alone,
                // and redo the batch without it.
                failure.pending.outcome = .failure(failure.error)
                failure.pending.finish(checkpoint: nil)
                batch.removeAll { $0 === failure.pending }
                if batch.isEmpty { return committed }
                continue
            } catch let error as LMDBError where error.kind == .mapFull {
                if grow() { continue }  // nothing was committed; run the batch again in the bigger map
                fail(batch, with: EventLogError.storageFull)
                return committed
            } catch let error as LMDBError {
                fail(batch, with: storageFailure(error))
                return committed
            } catch {
                fail(batch, with: error)
                return committed
            }
            if let folded { tail.didFold(through: folded) }
            notifier.publish(state.head)
            measurements.commitDuration.record(duration: ContinuousClock.now - started)
            measurements.commits.increment()
            measurements.events.increment(by: Int64(state.head - committed.head))
            measurements.batchOperations.record(batch.count)
            let checkpoint = state.frontier.head  // one root per batch, shared by its receipts
            for pending in batch { pending.finish(checkpoint: checkpoint) }
            return state
        }
    }

    /// Applies one operation within the batch's transaction, recording its outcome.
    ///
    /// A refusal is recorded and costs nothing, since deciding and planning write nothing. Errors
    /// that end the batch (a full map, a storage fault) propagate; any other failure after the
    /// first write propagates as ``PartialWrite``.
    private func apply(
        _ pending: PendingAppend, state: inout LogState, recordedAt: Timestamp, in txn: borrowing WriteTransaction
    ) throws {
        switch pending.operation {
        case .project(let projections, let index, let limit, let prefetched):
            try writeOrAbandon(pending) { () throws -> PendingAppend.Outcome in
                .projected(
                    try projections.step(
                        index, limit: limit, prefetched: prefetched, reader: appender.reader, in: txn))
            }
        case .resetProjection(let projections, let index):
            try writeOrAbandon(pending) { () throws -> PendingAppend.Outcome in
                .projected(try projections.reset(index, in: txn))
            }
        case .resolveDeadLetter(let resolution, let projector, let table, let position):
            try refuseOrRecord(pending) { () throws -> Void in
                guard let event = try appender.reader.event(at: position, in: txn) else {
                    throw EventLogError.noSuchDeadLetter(projector: projector.name, position: position)
                }
                // Checked before any write, so a failure here is a refusal with nothing to undo.
                pending.outcome = .success(
                    .resolved(
                        try registry.resolveDeadLetter(resolution, of: event, with: projector, table: table, in: txn)))
            }
        case .signCheckpoint(let signing):
            try writeOrAbandon(pending) { () throws -> PendingAppend.Outcome in
                let (checkpoint, isNew) = try signing.sign(reader: appender.reader, in: txn)
                return .checkpointed(checkpoint, isNew: isNew)
            }
        case .erase(let request, let async):
            try writeOrAbandon(pending) { () throws -> PendingAppend.Outcome in
                let (appended, summary) = try appender.erase(
                    request, state: &state, recordedAt: recordedAt, in: txn
                ) { erased in
                    try inline.forget(erased, in: txn)
                    try async.forget(erased, in: txn)
                }
                if let appended { try inline.apply(appended.events, in: txn) }
                return .erased(appended, erased: summary.erased, unchanged: summary.unchanged)
            }
        case .append(let request):
            guard let plan = try refuseOrRecord(pending, { try appender.plan(request, in: txn) }) else { return }
            try write(plan, for: pending, command: nil, state: &state, recordedAt: recordedAt, in: txn)
        case .restore(let events):
            try writeOrAbandon(pending) { () throws -> PendingAppend.Outcome in
                .appended(
                    try appender.restore(events, state: &state, in: txn) { appended in
                        try inline.apply(appended.events, in: txn)
                    })
            }
        case .command(let handler):
            let plan = try refuseOrRecord(pending) { () throws -> AppendPlan in
                if let original = try appender.originalReceipt(
                    ofCommand: handler.commandID, fingerprint: handler.fingerprint, in: txn)
                {
                    return .replay(original)
                }
                guard let request = try handler.decide(in: txn) else { return .write(events: [], revisions: [:]) }
                return try appender.plan(request, in: txn)
            }
            guard let plan else { return }
            try write(plan, for: pending, command: handler, state: &state, recordedAt: recordedAt, in: txn)
        }
    }

    /// Runs `step`, which writes nothing before it may fail: its failure is the operation's refusal.
    /// Returns its result, or `nil` after recording the refusal.
    @discardableResult
    private func refuseOrRecord<R>(_ pending: PendingAppend, _ step: () throws -> R) throws -> R? {
        do {
            return try step()
        } catch let error as LMDBError where error.endsTheBatch {
            throw error
        } catch {
            pending.outcome = .failure(error)
            return nil
        }
    }

    /// Runs `step`, which writes as it goes, recording its outcome; any failure but a batch-ending
    /// one abandons the batch as a ``PartialWrite``.
    private func writeOrAbandon(_ pending: PendingAppend, _ step: () throws -> PendingAppend.Outcome) throws {
        do {
            pending.outcome = .success(try step())
        } catch let error as LMDBError where error.endsTheBatch {
            throw error
        } catch {
            throw PartialWrite(pending: pending, error: error)
        }
    }

    /// Carries out a planned append (and, for a command, records it), then applies the inline projectors.
    private func write(
        _ plan: AppendPlan, for pending: PendingAppend, command: (any CommandHandler)?, state: inout LogState,
        recordedAt: Timestamp, in txn: borrowing WriteTransaction
    ) throws {
        switch plan {
        case .replay(let receipt):
            pending.outcome = .success(.replayed(receipt))
        case .write(let events, let revisions):
            try writeOrAbandon(pending) { () throws -> PendingAppend.Outcome in
                let appended = try appender.write(
                    events, revisions: revisions, state: &state, recordedAt: recordedAt,
                    in: txn)
                if let command {
                    try appender.recordCommand(
                        command.commandID, fingerprint: command.fingerprint, appended: appended, in: txn)
                }
                try inline.apply(appended.events, in: txn)
                return .appended(appended)
            }
        }
    }

    /// How long the writer waits idle before it clears reader slots of dead processes.
    private static let idleReaderCheckInterval = DispatchTimeInterval.seconds(60)

    /// Frees reader slots left by processes that died inside a read transaction
    /// (`mdb_reader_check`), so they cannot pin old pages or fill the reader table.
    private func clearStaleReaders() {
        do {
            let cleared = try environment.clearStaleReaders()
            if cleared > 0 { logger.notice("Cleared stale LMDB readers", metadata: ["readers.cleared": "\(cleared)"]) }
        } catch {
            logger.warning("mdb_reader_check failed", metadata: ["error": "\(error)"])
        }
    }

    /// Doubles the map up to the configured maximum; `false` if it cannot grow.
    private func grow() -> Bool {
        let current = environment.mapSize
        guard current < limits.maxMapSize else { return false }
        let next = min(current * 2, limits.maxMapSize)
        do {
            try environment.setMapSize(next)
        } catch {
            logger.error("Cannot grow the map", metadata: ["map.size": "\(next)", "error": "\(error)"])
            return false
        }
        logger.notice("Grew the map", metadata: ["map.size": "\(next)"])
        return true
    }

    /// Turns a failed commit into what callers see, or stops the process if the storage is no longer trustworthy.
    private func storageFailure(_ error: LMDBError) -> any Error {
        switch error.kind {
        case .system(errno: ENOSPC): return EventLogError.storageFull
        case .system(errno: EIO) where (environment.availableDiskBytes ?? .max) < Self.nearlyFullDiskBytes:
            // LMDB reports a short write as EIO (mdb_page_flush), and a write that fills the disk
            // is short. The meta page was not written, so the environment is intact: refuse the
            // batch as "full", as for ENOSPC, instead of stopping.
            logger.warning("A commit failed on a full disk", metadata: ["error": "\(error)"])
            return EventLogError.storageFull
        case .system(errno: EIO), .panic, .corrupted:
            // Crash-only: after EIO or a failed fsync the page cache may not match the disk, and
            // retrying can acknowledge writes that are lost. Restarting re-reads the committed state.
            logger.critical("Storage fault; stopping", metadata: ["error": "\(error)"])
            fatalError("Tally storage fault: \(error)")
        default: return error
        }
    }

    /// Below this many free bytes, an I/O error on commit is taken for a full disk.
    private static let nearlyFullDiskBytes = 16 << 20

    private func fail(_ batch: [PendingAppend], with error: any Error) {
        for pending in batch {
            pending.outcome = .failure(error)
            pending.finish(checkpoint: nil)
        }
    }
}

/// An append that failed after it had started writing, so its batch's transaction must be abandoned.
private struct PartialWrite: Error {
    let pending: PendingAppend
    let error: any Error
}

/// One queued append and the caller waiting for it.
final class PendingAppend: @unchecked Sendable {
    // `@unchecked`: `outcome` is written and read only on the writer thread, and
    // the continuation is resumed exactly once, by `finish(checkpoint:)`, also on that thread.
    let operation: WriteOperation
    private let continuation: CheckedContinuation<WriteResult, any Error>
    var outcome: Result<Outcome, any Error>?

    /// What applying the append produced, before the batch commits.
    enum Outcome {
        /// Written now; the receipt needs the batch's tree head.
        case appended(AppendedEvents)
        /// Already in the log: the receipt of the earlier append.
        case replayed(AppendReceipt)
        /// An async projector's step.
        case projected(ProjectionProgress)
        /// A dead letter retried or skipped: whether it is resolved.
        case resolved(Bool)
        /// The latest signed checkpoint, and whether this operation signed it.
        case checkpointed(StoredCheckpoint, isNew: Bool)
        /// An erasure: the erasure event (`nil` if nothing changed), what it erased, what was already erased.
        case erased(AppendedEvents?, erased: [UInt64], unchanged: [UInt64])
    }

    init(operation: WriteOperation, continuation: CheckedContinuation<WriteResult, any Error>) {
        self.operation = operation
        self.continuation = continuation
    }

    /// Answers the caller with the recorded outcome; `checkpoint` is the tree head its batch
    /// committed, or `nil` if the batch did not commit.
    func finish(checkpoint: TreeHead?) {
        switch outcome {
        case .success(.appended(let appended)):
            if let checkpoint {
                continuation.resume(returning: .receipt(appended.receipt(checkpoint: checkpoint)))
            } else {
                continuation.resume(throwing: EventLogError.corrupted("an append was answered before its commit"))
            }
        case .success(.replayed(let receipt)): continuation.resume(returning: .receipt(receipt))
        case .success(.projected(let progress)): continuation.resume(returning: .projected(progress))
        case .success(.resolved(let resolved)): continuation.resume(returning: .resolved(resolved))
        case .success(.checkpointed(let checkpoint, let isNew)):
            continuation.resume(returning: .checkpoint(checkpoint, isNew: isNew))
        case .success(.erased(let appended, let erased, let unchanged)):
            var receipt: AppendReceipt?
            if let appended {
                guard let checkpoint else {
                    continuation.resume(throwing: EventLogError.corrupted("an erasure was answered before its commit"))
                    return
                }
                receipt = appended.receipt(checkpoint: checkpoint)
            }
            continuation.resume(
                returning: .erased(ErasureReceipt(receipt: receipt, erased: erased, unchanged: unchanged)))
        case .failure(let error): continuation.resume(throwing: error)
        case nil: continuation.resume(throwing: EventLogError.corrupted("append finished without an outcome"))
        }
    }
}

extension LMDBError {
    /// Whether this error, met while applying one append, must end the whole group commit:
    /// a full map (grow, then redo the batch) or trouble with the storage itself. Anything else
    /// (say, a value LMDB refuses) fails only the append that met it.
    var endsTheBatch: Bool {
        switch kind {
        case .mapFull, .system, .panic, .corrupted, .incompatible: true
        case .keyExists, .readersFull, .mapResized, .badValueSize, .other: false
        }
    }
}
