import HashTreeCollections
import Synchronization
import TallyLMDB

/// The indexes of the log's newest events, held in memory and folded into LMDB in one pass.
///
/// `stream-index`, `stream-heads` and the type, tag and category indexes are keyed by name, so
/// writing them with every append dirties one page per stream, type, tag and category a commit
/// touches — with appends spread over many streams, most of what a commit writes and syncs.
/// Instead they hold the events up to the position stored under `indexed-through` in `meta`; the
/// events after it, the *tail*, are indexed here. The writer records each event it writes and,
/// once the tail is long enough, folds it into those databases in its batch (each page once,
/// however many of the tail's events it holds) and moves `indexed-through` in the same commit.
///
/// The tail is durable as it stands: it is the end of `events`. Each process indexes it for itself —
/// the writer's process at open, a read-only process on its first read and as the log grows — and
/// a read uses only the entries of its own snapshot (``view(in:reader:)``).
final class IndexTail: Sendable {
    /// Whether the writer of this process records every event (`false`), or reads index the
    /// tail themselves from `events` as the log grows (`true`: a read-only process).
    private let indexesItself: Bool
    private let index: Mutex<TailIndex>

    /// An empty tail: for a process that writes (`indexesItself` false), ``load(in:reader:)`` it
    /// at open, and the writer ``record(_:)``s every event; a read-only process's tail indexes
    /// the events its reads see.
    init(indexesItself: Bool) {
        self.indexesItself = indexesItself
        index = Mutex(TailIndex(indexedThrough: 0, through: 0))
    }

    /// Indexes the tail as `txn` sees it, replacing what this held: the writer's start.
    func load(in txn: borrowing some Transaction & ~Copyable, reader: LogReader) throws {
        let indexedThrough = try reader.indexedThrough(in: txn)
        let loaded = try TailIndex(indexedThrough: indexedThrough, through: indexedThrough)
            .extended(through: try reader.head(in: txn), in: txn, reader: reader)
        index.withLock { $0 = loaded }
    }

    /// How many events the tail holds, and under how many keys (streams, types, tags and
    /// categories: about the pages a fold writes); the writer's view, with its uncommitted batch.
    var size: (events: Int, keys: Int) { index.withLock { ($0.count, $0.runs.count + $0.postings.count) } }

    /// The index entries of the tail as `txn` sees it: its events after `txn`'s
    /// `indexed-through`, up to `txn`'s head.
    func view(in txn: borrowing some Transaction & ~Copyable, reader: LogReader) throws -> TailView {
        let indexedThrough = try reader.indexedThrough(in: txn)
        let head = try reader.head(in: txn)
        let current = index.withLock { $0 }
        if current.indexedThrough == indexedThrough, current.through >= head {
            return TailView(index: current, head: head)
        }
        // A read-only process indexes what it has not seen; a snapshot from before or after the
        // shared index (a read that began before a fold committed) gets an index of its own.
        let extending = indexesItself && current.indexedThrough == indexedThrough
        let built = try (extending ? current : TailIndex(indexedThrough: indexedThrough, through: indexedThrough))
            .extended(through: head, in: txn, reader: reader)
        if indexesItself, indexedThrough >= current.indexedThrough {
            index.withLock { shared in
                let newer =
                    (built.indexedThrough, built.through) > (shared.indexedThrough, shared.through)
                    && built.indexedThrough >= shared.indexedThrough
                if newer { shared = built }
            }
        }
        return TailView(index: built, head: head)
    }

    /// Adds the events the writer has just written (not yet committed) to the tail.
    func record(_ entries: [TailEntry]) {
        index.withLock { index in
            for entry in entries { index.record(entry) }
        }
    }

    /// Forgets every event after `position`: the writer's batch that wrote them did not commit.
    func truncate(after position: UInt64) {
        index.withLock { $0.truncate(after: position) }
    }

    /// The whole tail, for the writer to fold.
    func snapshot() -> TailIndex { index.withLock { $0 } }

    /// Drops the events up to `position` from the tail: a fold has committed them to LMDB.
    func didFold(through position: UInt64) {
        index.withLock { $0.dropFolded(through: position) }
    }
}

/// What one event adds to the indexes the tail defers.
struct TailEntry: Sendable {
    let stream: StreamID
    let revision: UInt64
    let position: UInt64
    let type: String
    let tags: [String]

    /// The stream index entry.
    var streamHead: StreamHead { StreamHead(stream: stream, revision: revision, position: position) }
}

/// A duplicate-sorted index of positions (`index.type`, `index.tag`, `index.category`) and one of its keys.
struct PostingKey: Hashable, Comparable, Sendable {
    /// Which index.
    enum Index: Comparable, Sendable { case type, tag, category }

    let index: Index
    let name: String

    /// By index, then by the name's bytes, as LMDB orders the keys.
    static func < (lhs: PostingKey, rhs: PostingKey) -> Bool {
        lhs.index != rhs.index ? lhs.index < rhs.index : lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }
}

/// The index entries of the events `indexedThrough + 1 ... through`.
struct TailIndex: Sendable {
    /// The last position the deferred indexes hold.
    private(set) var indexedThrough: UInt64
    /// The last position indexed here.
    private(set) var through: UInt64
    /// Per stream, the positions of its revisions from `firstRevision` on. A persistent map, so
    /// that a read holding a copy costs the writer's next change a path of nodes, not the map.
    private(set) var runs: TreeDictionary<StreamID, Run> = [:]
    /// Per type, tag and category, the positions of its events, ascending.
    private(set) var postings: TreeDictionary<PostingKey, [UInt64]> = [:]

    /// A stream's consecutive revisions in the tail and their positions.
    struct Run: Sendable {
        /// The revision of `positions[0]`: 0 for a stream that began in the tail.
        var firstRevision: UInt64
        /// Ascending.
        var positions: [UInt64]

        /// Adds the stream's next event.
        mutating func append(_ entry: StreamHead) {
            precondition(entry.revision == firstRevision + UInt64(positions.count), "revisions must be gap-free")
            positions.append(entry.position)
        }
    }

    init(indexedThrough: UInt64, through: UInt64) {
        self.indexedThrough = indexedThrough
        self.through = through
    }

    /// The number of events indexed here.
    var count: Int { Int(through - indexedThrough) }

    /// This index with the events after `through` up to `head` added, read from `events` in `txn`.
    func extended(
        through head: UInt64, in txn: borrowing some Transaction & ~Copyable, reader: LogReader
    ) throws -> TailIndex {
        var extended = self
        try reader.forEachTailEntry(after: through, through: head, in: txn) { extended.record($0) }
        return extended
    }

    /// Adds the next event of the log: `entry.position` must be `through + 1`.
    mutating func record(_ entry: TailEntry) {
        precondition(entry.position == through + 1, "the index tail must grow one position at a time")
        runs[entry.stream, default: Run(firstRevision: entry.revision, positions: [])].append(entry.streamHead)
        postings[PostingKey(index: .type, name: entry.type), default: []].append(entry.position)
        for tag in entry.tags { postings[PostingKey(index: .tag, name: tag), default: []].append(entry.position) }
        postings[PostingKey(index: .category, name: entry.stream.category), default: []].append(entry.position)
        through = entry.position
    }

    /// Forgets every event after `position`.
    mutating func truncate(after position: UInt64) {
        guard position < through else { return }
        keepPositions { $0 <= position }
        through = max(position, indexedThrough)
    }

    /// Forgets every event up to `position`, now held by the databases the tail defers.
    mutating func dropFolded(through position: UInt64) {
        guard position > indexedThrough else { return }
        keepPositions { $0 > position }
        indexedThrough = position
        through = max(through, position)
    }

    /// Keeps the positions `keep` accepts: a prefix or a suffix of every run and posting list.
    private mutating func keepPositions(where keep: (UInt64) -> Bool) {
        runs = runs.compactMapValues { run in
            guard let first = run.positions.firstIndex(where: keep) else { return nil }
            // What a suffix drops before it are the run's first revisions.
            return Run(
                firstRevision: run.firstRevision + UInt64(first), positions: run.positions[first...].filter(keep))
        }
        postings = postings.compactMapValues { positions in
            let kept = positions.filter(keep)
            return kept.isEmpty ? nil : kept
        }
    }
}

/// The tail's index entries as one snapshot sees them: positions up to `head`.
struct TailView {
    let index: TailIndex
    /// The snapshot's head: entries after it are another batch's, not yet committed.
    let head: UInt64

    /// What the tail holds of `stream` as this snapshot sees it.
    func entries(of stream: StreamID) -> TailEntries {
        TailEntries(stream: stream, run: index.runs[stream], head: head)
    }

    /// The last revision and position of `stream` in the tail, or `nil` if the tail has none.
    func head(of stream: StreamID) -> StreamHead? { entries(of: stream).last }

    /// The positions the tail holds under `key`, ascending.
    func positions(of key: PostingKey) -> ArraySlice<UInt64> {
        guard let positions = index.postings[key] else { return [] }
        // Entries after the head are a batch not yet committed: at the end, and few.
        return positions[..<(positions.lastIndex(where: { $0 <= head }).map { $0 + 1 } ?? 0)]
    }

    /// The streams that began in the tail, named `prefix…` and after `after`, in byte order:
    /// the streams `stream-heads` does not list yet.
    func newStreams(prefix: String, after: StreamID?) -> [StreamHead] {
        index.runs.compactMap { stream, run -> StreamHead? in
            guard run.firstRevision == 0, run.positions[0] <= head,
                stream.rawValue.utf8.starts(with: prefix.utf8), after.map({ $0 < stream }) ?? true
            else { return nil }
            return head(of: stream)
        }
        .sorted { $0.stream < $1.stream }
    }

    /// The number of streams that began in the tail.
    var newStreamCount: Int {
        index.runs.values.count { $0.firstRevision == 0 && $0.positions[0] <= head }
    }
}

/// One stream's revisions in the tail as a snapshot sees them: looked up once per read.
struct TailEntries {
    let stream: StreamID
    let run: TailIndex.Run?
    /// The snapshot's head.
    let head: UInt64

    /// The stream's last revision and position in the tail, or `nil` if the tail has none.
    var last: StreamHead? {
        guard let run, let last = run.positions.lastIndex(where: { $0 <= head }) else { return nil }
        return StreamHead(stream: stream, revision: run.firstRevision + UInt64(last), position: run.positions[last])
    }

    /// The position of the stream's event at `revision` if the tail holds it; `nil` otherwise.
    func position(ofRevision revision: UInt64) -> UInt64? {
        guard let run, revision >= run.firstRevision, revision - run.firstRevision < UInt64(run.positions.count)
        else { return nil }
        let position = run.positions[Int(revision - run.firstRevision)]
        return position <= head ? position : nil
    }
}
