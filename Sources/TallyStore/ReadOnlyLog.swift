package import TallyLMDB

/// An existing log opened read-only, for offline tools: `tally` commands given a data directory.
///
/// LMDB lets many processes read while one writes, so this is safe while `tally serve` runs on
/// the same directory, and each read sees every commit made before it began. Nothing here writes:
/// the environment is opened with `MDB_RDONLY`.
///
/// ```swift
/// let log = try ReadOnlyLog(path: "./tally-data", inlineProjectors: [AccountBalances()])
/// defer { log.close() }
/// let page = try log.read(from: 1, limit: 100)
/// ```
package final class ReadOnlyLog: LogReading {
    package let environment: Environment
    package let reader: LogReader
    private let registry: ProjectionRegistry
    private let inlineProjectors: [any Projector]
    private let asyncProjectors: [any Projector]

    /// Opens the log in `path` read-only.
    ///
    /// - Parameters:
    ///   - inlineProjectors: the projectors the server keeps inline (in the append's transaction):
    ///     their answers reflect the log's head.
    ///   - asyncProjectors: the projectors it keeps in the background: their answers reflect their checkpoint.
    /// - Throws: ``EventLogError/corrupted(_:)`` if `path` holds no Tally log;
    ///   ``EventLogError/unsupportedFormat(version:)`` if a newer Tally wrote it; `LMDBError` from LMDB
    ///   (for example `ENOENT` for a missing directory).
    package init(path: String, inlineProjectors: [any Projector] = [], asyncProjectors: [any Projector] = []) throws {
        var options = Environment.Options()
        options.readOnly = true
        environment = try Environment(path: path, options: options)
        do {
            // The format first: a newer Tally's log may lack databases this one expects.
            if let meta = try environment.openDatabase("meta"),
                let stored = try environment.read({ txn in
                    try txn.withValue(forKey: LogSchema.formatVersionKey, in: meta) { UInt32(bigEndianBytes: $0) }
                }), !LogSchema.readableFormats.contains(stored)
            {
                throw EventLogError.unsupportedFormat(version: stored)
            }
            reader = LogReader(
                schema: try LogSchema(environment: environment), tail: IndexTail(indexesItself: true))
            registry = try ProjectionRegistry(environment: environment)
        } catch {
            environment.close()
            throw error
        }
        self.inlineProjectors = inlineProjectors
        self.asyncProjectors = asyncProjectors
    }

    /// Closes the environment; the directory may then be opened again in this process.
    package func close() {
        environment.close()
    }

    /// Runs `body` against one snapshot of the active version of the projection named `name`: its
    /// table, and the position its contents reflect. `nil` if the log has no such projection.
    package func queryProjection<R>(
        named name: String, _ body: (borrowing ReadTransaction, ProjectionTable, UInt64) throws -> R
    ) throws -> R? {
        let version = try environment.read { [registry] txn in try registry.activeVersion(of: name, in: txn) }
        guard let version else { return nil }
        let namespace = "projection.\(name).v\(version)"
        guard let database = try environment.openDatabase(namespace) else { return nil }
        let table = ProjectionTable(database: database)
        let isInline = inlineProjectors.contains { $0.name == name }
        return try snapshot { [registry] txn, head in
            try body(txn, table, isInline ? head : try registry.checkpoint(of: namespace, in: txn))
        }
    }

    /// The status of every projector this log was opened with that the log has built, inline ones
    /// first, as of one snapshot. An async projector whose version differs from the active one is
    /// `rebuilding` (the server builds it beside the active one).
    package func projectionStatuses() throws -> [ProjectionStatus] {
        try snapshot { [registry, inlineProjectors, asyncProjectors] txn, head in
            var statuses: [ProjectionStatus] = []
            for (projector, isInline) in inlineProjectors.map({ ($0, true) }) + asyncProjectors.map({ ($0, false) }) {
                guard let active = try registry.activeVersion(of: projector.name, in: txn) else { continue }
                let position =
                    isInline ? head : try registry.checkpoint(of: "projection.\(projector.name).v\(active)", in: txn)
                let letters = try registry.deadLetterRecords(of: projector.name, in: txn).count
                statuses.append(
                    ProjectionStatus(
                        name: projector.name, version: active, mode: isInline ? "inline" : "async",
                        checkpoint: position,
                        lag: head - min(position, head), deadLetters: letters,
                        state: letters > 0
                            ? .degraded
                            : (!isInline && active != projector.version) ? .rebuilding(projector.version) : .healthy))
            }
            return statuses
        }
    }
}
