package import TallyLMDB

/// An existing log opened read-only, for offline tools: `tally` commands given a data directory.
///
/// LMDB lets many processes read while one writes, so this is safe while `tally serve` runs on
/// the same directory, and each read sees every commit made before it began. Nothing here writes:
/// the environment is opened with `MDB_RDONLY`.
///
/// ```swift
/// let log = try ReadOnlyLog(path: "./tally-data", inlineProjections: ["account-balances"])
/// defer { log.close() }
/// let page = try log.read(from: 1, limit: 100)
/// ```
package final class ReadOnlyLog: LogReading {
    package let environment: Environment
    package let reader: LogReader
    private let registry: ProjectionRegistry
    private let inlineProjections: Set<String>

    /// Opens the log in `path` read-only.
    ///
    /// - Parameter inlineProjections: the names of the projections kept inline (in the append's
    ///   transaction): their answers reflect the log's head; the others', their checkpoint.
    /// - Throws: ``EventLogError/corrupted(_:)`` if `path` holds no Tally log;
    ///   ``EventLogError/unsupportedFormat(version:)`` if a newer Tally wrote it; `LMDBError` from LMDB
    ///   (for example `ENOENT` for a missing directory).
    package init(path: String, inlineProjections: Set<String> = []) throws {
        var options = Environment.Options()
        options.readOnly = true
        environment = try Environment(path: path, options: options)
        do {
            let schema = try LogSchema(environment: environment)
            let stored = try environment.read { txn in
                try txn.withValue(forKey: LogSchema.formatVersionKey, in: schema.meta) { UInt32(bigEndianBytes: $0) }
            }
            if let stored, stored != LogSchema.formatVersion { throw EventLogError.unsupportedFormat(version: stored) }
            reader = LogReader(schema: schema)
            registry = try ProjectionRegistry(environment: environment)
        } catch {
            environment.close()
            throw error
        }
        self.inlineProjections = inlineProjections
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
        let isInline = inlineProjections.contains(name)
        return try snapshot { [registry] txn, head in
            try body(txn, table, isInline ? head : try registry.checkpoint(of: namespace, in: txn))
        }
    }
}
