import Crypto
import Foundation
package import TallyLMDB
import TallyVerify

/// A scratch copy of the first events of a log, in a temporary directory, with every read model
/// folded afresh from them: what "as of position N" queries and projection checks answer from.
///
/// ```swift
/// let replay = try await ReplayedLog(of: log, to: 41_000, inlineProjectors: [AccountBalances()], asyncProjectors: [])
/// defer { replay.close() }
/// let balance = try replay.log.queryProjection(named: "account-balances") { txn, table, _ in … }
/// ```
package final class ReplayedLog: Sendable {
    /// The scratch log: events 1...``position`` of the source, the same bytes and times.
    package let log: EventLog
    /// The position the copy and all its read models reflect.
    package let position: UInt64
    private let directory: String

    /// Copies events 1...`position` of `source` into a scratch log (no `fsync`: it is thrown away)
    /// with the given projectors, and waits until every async one has folded them all.
    ///
    /// `progress` is called with the number of events copied so far.
    ///
    /// - Throws: ``EventLogError/treeTooSmall(size:requested:)`` if the source holds fewer events;
    ///   whatever reading the source or writing the scratch log throws.
    package init(
        of source: some LogReading, to position: UInt64, inlineProjectors: [any Projector],
        asyncProjectors: [any Projector], progress: (UInt64) -> Void = { _ in }
    ) async throws {
        let head = try source.treeHead().size
        guard position <= head else { throw EventLogError.treeTooSmall(size: head, requested: position) }
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("tally-replay-\(UUID().uuidString)")
            .path
        var options = EventLog.Options()
        options.environment.durability = .unsafeNoSync
        let log = try EventLog(
            path: directory, options: options, inlineProjectors: inlineProjectors, asyncProjectors: asyncProjectors)
        self.log = log
        self.position = position
        do {
            var next: UInt64 = 1
            while next <= position {
                let page = try source.read(from: next, direction: .forward, limit: Int(min(1000, position - next + 1)))
                try await log.restore(try page.events.map(ExportedEvent.init(recorded:)))
                next += UInt64(page.events.count)
                progress(next - 1)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await log.runProjections() }
                for projector in asyncProjectors {
                    _ = try await log.waitForProjection(
                        named: projector.name, toReach: position, timeout: .seconds(86_400))
                }
                group.cancelAll()
            }
        } catch {
            close()
            throw error
        }
    }

    /// Closes the scratch log and deletes its directory.
    package func close() {
        log.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension ExportedEvent {
    /// A stored event, to be put back at its place in another log (erased, if it is).
    package init(recorded event: RecordedEvent) throws {
        self.init(
            position: event.position, revision: event.revision, recordedAt: event.recordedAt,
            event: try ProposedEvent(recorded: event))
    }
}

extension ProposedEvent {
    /// The stored event as it would be appended again: the same stream, id, type, tags and bytes,
    /// and its erasure if it was erased.
    init(recorded event: RecordedEvent) throws {
        let proposed = try ProposedEvent(
            stream: event.stream, id: event.id, type: event.type, tags: event.tags, data: Array(event.data),
            metadata: Array(event.metadata))
        self = event.erasure.map { proposed.erased(keeping: proposed.data, as: $0) } ?? proposed
    }
}

/// A read model's whole state in one hash: equal digests, equal tables.
package struct ProjectionDigest: Sendable, Equatable {
    /// How many entries the table holds.
    package let entries: Int
    /// SHA-256 over every entry in key order, each as key length (4, BE) ‖ key ‖ value length (4, BE) ‖ value.
    package let sha256: [UInt8]
}

extension ProjectionTable {
    /// The digest of every entry, read in `txn`.
    package func digest(in txn: borrowing some Transaction & ~Copyable) throws -> ProjectionDigest {
        var hasher = SHA256()
        var entries = 0
        try txn.withCursor(in: database) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                for part in [current.key, current.value] {
                    hasher.update(data: UInt32(part.count).bigEndianBytes)
                    hasher.update(bufferPointer: part)
                }
                entries += 1
                entry = try cursor.next()
            }
        }
        return ProjectionDigest(entries: entries, sha256: hasher.finalize().withUnsafeBytes { Array($0) })
    }
}
