import Crypto
import Dispatch
import Foundation
import Synchronization
import TallyLMDB
import TallyVerify

/// Verification of a whole log on every core: the positions split into aligned chunks that are
/// hashed in parallel, then folded in order.
///
/// A chunk of `2^chunkLevel` positions that starts after a multiple of its size is a perfect
/// subtree of the Merkle tree, so its leaves and every node inside it depend on nothing else:
/// workers recompute and compare those, one chunk each, and the calling thread folds the chunk
/// roots in order into the nodes above them, comparing those too. Only the calling thread touches
/// LMDB: it walks both databases in step, checks every key, and hands the workers where each
/// record and Merkle entry lies in the map.
///
/// It answers only "all is well" (with the report the in-order definition gives) or "something
/// is wrong", never what: every check is at least as strict as the definition's, so a log it
/// passes, the definition passes, and ``LogReading/verify(against:progress:)`` asks the
/// definition to name the first failure of a log it does not pass.
package struct ChunkedVerification: Sendable {
    /// A chunk holds `2^chunkLevel` positions.
    private let chunkLevel: Int
    /// How many chunks are read from LMDB before they are hashed together.
    private let chunksPerBatch: Int

    /// Chunks of `2^chunkLevel` positions, `chunksPerBatch` at a time. The default, 16 chunks of
    /// 4096, makes a batch of 64 Ki events: enough work to share among cores, a few MB of pointers.
    package init(chunkLevel: Int = 12, chunksPerBatch: Int = 16) {
        precondition((0...24).contains(chunkLevel) && chunksPerBatch > 0, "chunks of 2^0 to 2^24 positions")
        self.chunkLevel = chunkLevel
        self.chunksPerBatch = chunksPerBatch
    }

    fileprivate var chunkSize: Int { 1 << chunkLevel }

    /// Verifies the log inside `txn`: the report the in-order definition would give, or `nil` if
    /// anything differs from what it expects. `progress` gets the number of events checked after
    /// each full batch.
    ///
    /// While the workers hash one batch, this thread reads the next one from LMDB.
    ///
    /// - Throws: `LMDBError` from storage only.
    func verify(
        _ txn: borrowing ReadTransaction, schema: LogSchema, against pinned: TreeHead?, progress: (UInt64) -> Void
    ) throws -> VerificationReport? {
        let batchSize = chunkSize * chunksPerBatch
        var fold = TreeFold(chunkSize: chunkSize)
        let inStep = try txn.withCursor(in: schema.events) { events in
            try txn.withCursor(in: schema.merkle) { nodes in
                var current: [MappedEntry] = []
                var next: [MappedEntry] = []
                current.reserveCapacity(batchSize)
                next.reserveCapacity(batchSize)
                var walk = StepWalk(entry: try events.first(), node: try nodes.first(), batchSize: batchSize)
                guard try walk.read(into: &current, after: 0, events, nodes) else { return false }
                while !current.isEmpty {
                    let hashing = BatchHashing(current, after: fold.size, in: self, pinnedSize: pinned?.size)
                    let nextInStep: Bool
                    do {
                        // The workers read the map: wait for them even when reading throws.
                        defer { hashing.wait() }
                        nextInStep = try walk.read(into: &next, after: fold.size + UInt64(current.count), events, nodes)
                    }
                    guard fold.add(hashing.outcomes, of: current) else { return false }
                    if current.count == batchSize { progress(fold.size) }
                    guard nextInStep else { return false }
                    swap(&current, &next)
                }
                return true
            }
        }
        guard inStep else { return nil }
        return fold.report(against: pinned)
    }

    /// Recomputes the leaves of one chunk, starting at `first`, and every node inside it, and
    /// compares them with the stored Merkle entries; checks each entry's length against the nodes
    /// its position completes in the whole tree (the ones above the chunk are the fold's).
    ///
    /// Each stage's hashes are independent of one another, so each is one batch for
    /// ``MultiBufferSHA256``: every payload digest, then every leaf, then the tree level by level.
    ///
    /// - Returns: The chunk's subtrees, or `nil` if a record is unreadable or anything differs.
    fileprivate static func verifyChunk(
        _ entries: ArraySlice<MappedEntry>, from first: UInt64, chunkSize: Int, pinnedSize: UInt64?
    ) -> ChunkOutcome? {
        let hasher = MultiBufferSHA256()
        guard let leaves = ChunkLeaves(entries, from: first, hasher: hasher) else { return nil }
        defer { leaves.deallocate() }
        var levels = [leaves.hashes]
        defer { for level in levels.dropFirst() { level.deallocate() } }
        for (index, entry) in entries.enumerated() {
            let position = first + UInt64(index)
            guard entry.node.count == MerkleHash.byteCount * (1 + position.trailingZeroBitCount),
                entry.node.holds(levels[0], at: index, level: 0)
            else { return nil }
        }
        while levels[levels.count - 1].count >= 2 * MerkleHash.byteCount {
            let above = hashNodes(above: levels[levels.count - 1], with: hasher)
            let height = levels.count
            levels.append(above)
            // The node `index` at `height` is stored with the last position it covers.
            for index in 0..<above.count / MerkleHash.byteCount {
                let last = entries[entries.startIndex + ((index + 1) << height) - 1]
                guard last.node.holds(above, at: index, level: height) else { return nil }
            }
        }
        let atPinned = pinnedSize.flatMap { pinned -> [SubtreeStack.Subtree]? in
            guard pinned >= first, pinned < first + UInt64(entries.count) else { return nil }
            return Self.subtrees(ofFirst: Int(pinned - first) + 1, in: levels)
        }
        return ChunkOutcome(
            subtrees: Self.subtrees(ofFirst: entries.count, in: levels), isWhole: entries.count == chunkSize,
            atPinned: atPinned)
    }

    /// The nodes of the level above `level` (32-byte hashes, an unpaired last one left out):
    /// `SHA-256(0x01 ‖ left ‖ right)` of each pair, hashed together. The caller deallocates them.
    private static func hashNodes(above level: UnsafeMutableRawBufferPointer, with hasher: MultiBufferSHA256)
        -> UnsafeMutableRawBufferPointer
    {
        let count = level.count / (2 * MerkleHash.byteCount)
        let messageSize = 1 + 2 * MerkleHash.byteCount
        let messages = UnsafeMutableRawBufferPointer.allocate(byteCount: count * messageSize, alignment: 8)
        defer { messages.deallocate() }
        let above = UnsafeMutableRawBufferPointer.allocate(byteCount: count * MerkleHash.byteCount, alignment: 8)
        var jobs: [SHA256Job] = []
        jobs.reserveCapacity(count)
        for index in 0..<count {
            let message = messages.baseAddress! + index * messageSize
            message.storeBytes(of: 0x01, as: UInt8.self)
            (message + 1).copyMemory(
                from: level.baseAddress! + index * 2 * MerkleHash.byteCount, byteCount: 2 * MerkleHash.byteCount)
            jobs.append(
                SHA256Job(
                    message: UnsafeRawBufferPointer(start: message, count: messageSize),
                    digest: above.baseAddress! + index * MerkleHash.byteCount))
        }
        hasher.hash(jobs)
        return above
    }

    /// The perfect subtrees of the chunk's first `count` positions, largest first, taken from its
    /// levels: one node per bit set in `count`.
    private static func subtrees(ofFirst count: Int, in levels: [UnsafeMutableRawBufferPointer])
        -> [SubtreeStack.Subtree]
    {
        levels.indices.reversed().filter { count & (1 << $0) != 0 }.map { level in
            let index = (count >> level) - 1
            let hash = UnsafeRawBufferPointer(
                rebasing: levels[level][index * MerkleHash.byteCount..<(index + 1) * MerkleHash.byteCount])
            return SubtreeStack.Subtree(level: level, hash: Array(hash))
        }
    }
}

/// The leaf hashes of one chunk, each `SHA-256(0x00 ‖ leaf content)`, hashed in two batches:
/// every payload digest the contents hold, then every leaf.
private struct ChunkLeaves {
    /// The chunk's leaf hashes, 32 bytes each, in position order.
    let hashes: UnsafeMutableRawBufferPointer

    /// The leaves of `entries`, the first at position `first`; `nil` if a record is unreadable.
    init?(_ entries: ArraySlice<MappedEntry>, from first: UInt64, hasher: MultiBufferSHA256) {
        var layouts: [EventRecord.Layout] = []
        layouts.reserveCapacity(entries.count)
        // Where each leaf's message (its 0x00 prefix, then its content) starts, and where the last ends.
        var starts: [Int] = [0]
        starts.reserveCapacity(entries.count + 1)
        for entry in entries {
            guard let layout = try? EventRecord.Layout(entry.record) else { return nil }
            layouts.append(layout)
            starts.append(starts[starts.count - 1] + 1 + EventRecord.leafContentCount(layout))
        }
        let messages = UnsafeMutableRawBufferPointer.allocate(byteCount: max(starts[starts.count - 1], 1), alignment: 8)
        defer { messages.deallocate() }
        var jobs: [SHA256Job] = []
        jobs.reserveCapacity(2 * entries.count)
        for (index, (entry, layout)) in zip(entries, layouts).enumerated() {
            messages[starts[index]] = 0x00
            EventRecord.writeLeafContent(
                position: first + UInt64(index), record: entry.record, layout: layout,
                into: UnsafeMutableRawBufferPointer(rebasing: messages[starts[index] + 1..<starts[index + 1]])
            ) { jobs.append($0) }
        }
        hasher.hash(jobs)
        hashes = UnsafeMutableRawBufferPointer.allocate(byteCount: entries.count * MerkleHash.byteCount, alignment: 8)
        jobs.removeAll(keepingCapacity: true)
        for index in 0..<entries.count {
            jobs.append(
                SHA256Job(
                    message: UnsafeRawBufferPointer(rebasing: messages[starts[index]..<starts[index + 1]]),
                    digest: hashes.baseAddress! + index * MerkleHash.byteCount))
        }
        hasher.hash(jobs)
    }

    func deallocate() { hashes.deallocate() }
}

/// Where the walk of the `events` and `merkle` databases, in step, has got to.
private struct StepWalk {
    /// The entries the two cursors are on (`nil` past the end).
    var entry: Cursor.Entry?
    var node: Cursor.Entry?
    let batchSize: Int

    /// Reads the positions after `size` into `batch`, up to a batch, moving both cursors on;
    /// `false` if the two databases do not hold exactly those keys, in step.
    mutating func read(
        into batch: inout [MappedEntry], after size: UInt64, _ events: borrowing Cursor, _ nodes: borrowing Cursor
    ) throws -> Bool {
        batch.removeAll(keepingCapacity: true)
        while let event = entry, batch.count < batchSize {
            let position = size + UInt64(batch.count) + 1
            guard let stored = node, event.key.isKey(position), stored.key.isKey(position) else { return false }
            batch.append(MappedEntry(record: event.value, node: stored.value))
            entry = try events.next()
            node = try nodes.next()
        }
        return true
    }
}

/// One batch's chunks, being verified on every core in the background.
private final class BatchHashing: Sendable {
    private let done = DispatchGroup()
    private let results: Mutex<[ChunkOutcome?]>

    /// Starts verifying each chunk of `batch`, whose first entry is position `before + 1`.
    init(_ batch: [MappedEntry], after before: UInt64, in chunking: ChunkedVerification, pinnedSize: UInt64?) {
        let chunkSize = chunking.chunkSize
        let chunkCount = (batch.count + chunkSize - 1) / chunkSize
        results = Mutex(Array(repeating: nil, count: chunkCount))
        let mapped = MappedBatch(entries: batch)
        DispatchQueue.global().async(group: done) { [self] in
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let range = chunk * chunkSize..<min((chunk + 1) * chunkSize, mapped.entries.count)
                let outcome = ChunkedVerification.verifyChunk(
                    mapped.entries[range], from: before + UInt64(range.lowerBound) + 1, chunkSize: chunkSize,
                    pinnedSize: pinnedSize)
                self.results.withLock { $0[chunk] = outcome }
            }
        }
    }

    /// Blocks until every chunk is verified.
    func wait() { done.wait() }

    /// One outcome per chunk, in order; `nil` for a chunk where something differs. Valid after ``wait()``.
    var outcomes: [ChunkOutcome?] { results.withLock { $0 } }
}

/// The whole chunks verified so far, folded in order into the tree above them.
private struct TreeFold {
    private let chunkSize: Int
    /// The number of positions folded.
    private(set) var size: UInt64 = 0
    private var tree = SubtreeStack()
    /// The last chunk's subtrees, if it is not whole (it ends the log).
    private var tail: [SubtreeStack.Subtree] = []
    private var rootAtPinned: [UInt8]?

    /// A fold of chunks of `chunkSize` positions, none yet.
    init(chunkSize: Int) { self.chunkSize = chunkSize }

    /// Folds a batch's chunk outcomes, comparing each node that forms above the chunks with the
    /// stored Merkle entry of the chunk's last position; `false` if a chunk failed or a node differs.
    mutating func add(_ outcomes: [ChunkOutcome?], of batch: [MappedEntry]) -> Bool {
        for (index, outcome) in outcomes.enumerated() {
            guard let outcome else { return false }
            if let atPinned = outcome.atPinned { rootAtPinned = SubtreeStack.root(of: tree.subtrees + atPinned) }
            guard outcome.isWhole else {
                tail = outcome.subtrees
                continue
            }
            let lastEntry = batch[(index + 1) * chunkSize - 1].node
            var matches = true
            tree.push(outcome.subtrees[0]) { node in matches = matches && lastEntry.holds(node) }
            guard matches else { return false }
        }
        size += UInt64(batch.count)
        return true
    }

    /// The report for a log that ended here, if the pinned tree head (if any) holds.
    func report(against pinned: TreeHead?) -> VerificationReport? {
        if let pinned {
            guard pinned.size <= size else { return nil }
            let expected = pinned.size == 0 ? MerkleHash.empty : rootAtPinned
            guard expected == pinned.root else { return nil }
        }
        let root = SubtreeStack.root(of: tree.subtrees + tail) ?? MerkleHash.empty
        return VerificationReport(head: TreeHead(size: size, root: root), pinned: pinned)
    }
}

/// What a chunk recomputed, when everything in it matched.
private struct ChunkOutcome: Sendable {
    /// Its subtrees: one root for a whole chunk, the frontier of a partial (last) one.
    let subtrees: [SubtreeStack.Subtree]
    /// Whether it holds a whole chunk of positions.
    let isWhole: Bool
    /// Its subtrees up to the pinned size, if that falls in this chunk.
    let atPinned: [SubtreeStack.Subtree]?
}

/// Where one position's stored record and Merkle entry lie in LMDB's memory map.
private struct MappedEntry {
    let record: UnsafeRawBufferPointer
    let node: UnsafeRawBufferPointer
}

// @unchecked Sendable: the buffers point into LMDB's memory map, inside the read transaction of
// `ChunkedVerification.verify`, which waits for each batch's workers (`BatchHashing.wait()`, in a
// `defer`, so also when reading throws) before it folds, returns or throws. lmdb.h: values "are
// valid only until a subsequent update operation, or the end of the transaction", and a read-only
// transaction makes no update; LMDB writes changes to new pages (copy-on-write), never to the
// pages a live snapshot sees. So any thread may read these bytes meanwhile, and none writes them.
/// One batch of mapped entries, handed to the workers.
private struct MappedBatch: @unchecked Sendable {
    let entries: [MappedEntry]
}

/// The roots of the perfect subtrees a tree (or a chunk of one) is made of, largest first: what
/// ``MerkleFrontier`` keeps, held as digests so that a push allocates nothing.
struct SubtreeStack {
    /// A perfect subtree: `2^level` leaves, and their root.
    struct Subtree: Sendable {
        let level: Int
        let hash: [UInt8]
    }

    private(set) var subtrees: [Subtree]

    init() {
        subtrees = []
        subtrees.reserveCapacity(64)
    }

    /// Pushes `subtree`, which must be no larger than the last one, and merges equal neighbours;
    /// `completed` is called with each node that forms, lowest first.
    mutating func push(_ subtree: Subtree, completed: (Subtree) -> Void) {
        var top = subtree
        while let last = subtrees.last, last.level == top.level {
            subtrees.removeLast()
            top = Subtree(level: top.level + 1, hash: MerkleHash.node(last.hash, top.hash))
            completed(top)
        }
        subtrees.append(top)
    }

    /// The RFC 6962 root of `subtrees` (largest first), folded from the right; `nil` for none.
    static func root(of subtrees: [Subtree]) -> [UInt8]? {
        guard var hash = subtrees.last?.hash else { return nil }
        for subtree in subtrees.dropLast().reversed() { hash = MerkleHash.node(subtree.hash, hash) }
        return hash
    }
}

extension UnsafeRawBufferPointer {
    /// Whether this 8-byte key is `position`.
    fileprivate func isKey(_ position: UInt64) -> Bool {
        count == 8 && UInt64(bigEndianBytes: self) == position
    }

    /// Whether this Merkle entry holds `node` at its level; it must be long enough.
    fileprivate func holds(_ node: SubtreeStack.Subtree) -> Bool {
        node.hash.withUnsafeBytes { holds($0.baseAddress!, level: node.level) }
    }

    /// Whether this Merkle entry holds, at `level`, the hash `index` of `hashes` (32 bytes each).
    fileprivate func holds(_ hashes: UnsafeMutableRawBufferPointer, at index: Int, level: Int) -> Bool {
        holds(UnsafeRawPointer(hashes.baseAddress! + index * MerkleHash.byteCount), level: level)
    }

    private func holds(_ hash: UnsafeRawPointer, level: Int) -> Bool {
        // memcmp: the generic `elementsEqual` walks byte by byte and showed as 8% of the profile.
        memcmp(baseAddress! + level * MerkleHash.byteCount, hash, MerkleHash.byteCount) == 0
    }
}
