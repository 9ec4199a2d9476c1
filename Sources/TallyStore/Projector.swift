package import TallyLMDB

/// Folds log events into one read model stored beside the log, in the same LMDB environment.
///
/// An *inline* projector (registered with ``EventLog/init(path:options:inlineProjectors:logger:)``)
/// runs inside the transaction that appends the events, so its read model is always exactly as
/// current as the log, and commands can decide from it.
///
/// - Important: `name` and `version` name the read model's database. Never change what a
///   deployed version stores; give the projector a new version instead, which builds a fresh
///   read model from position 1.
package protocol Projector: Sendable {
    /// Durable kebab-case name, such as `account-balances`.
    var name: String { get }
    /// The read model's version; a new version builds into a new namespace.
    var version: Int { get }
    /// The event types the projector wants; empty means every event.
    var eventTypes: Set<String> { get }
    /// A page of events made ready to fold: decoded, say. The default is the events themselves.
    associatedtype Prepared: Sendable = [RecordedEvent]
    /// Makes `events` (ones it wants, in log order) ready to fold, from them alone: it reads no
    /// read model, so a rebuild or an async projection runs it on another core, ahead of the
    /// writer, while the writer applies the page before.
    ///
    /// - Throws: anything; the page is then applied one event at a time (see ``apply(_:to:in:)``).
    func prepare(_ events: [RecordedEvent]) throws -> Prepared
    /// Applies a prepared page to the read model. Deterministic, and touching only `table`. A page
    /// may be folded in memory and each touched row written once.
    ///
    /// - Throws: anything; the page is then rolled back and applied one event at a time, and the
    ///   events that throw go to dead-letter records (the projection is degraded), while the log
    ///   and the other projectors carry on.
    func apply(_ prepared: Prepared, to table: ProjectionTable, in txn: borrowing WriteTransaction) throws
    /// Acknowledges a dead-lettered event an operator chose to skip: the read model should carry
    /// on as if the event changed nothing (for example, note that its stream moved on). The
    /// default does nothing.
    func skip(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws
    /// Removes from the read model whatever it holds of an event's erased data. `event` is the
    /// event as erased: its `data` is what the erasure kept (`null`, or the object without the
    /// erased members) and its ``RecordedEvent/erasure`` is set. The read model may not have applied
    /// the event yet (an async projector behind the log, a version still building): then there
    /// is nothing to remove, but the answer must be the same, since it will fold the erased event.
    /// Afterwards the read model must equal a fold of the log as it now stands.
    ///
    /// - Throws: ``ErasureRefusal`` when the read model cannot be folded without the erased data;
    ///   the whole erasure is then refused and nothing is written. The default refuses: a
    ///   projector must say how it forgets before data it reads can be erased.
    func forget(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws
}

extension Projector where Prepared == [RecordedEvent] {
    package func prepare(_ events: [RecordedEvent]) -> [RecordedEvent] { events }
}

extension Projector {
    /// Prepares `events` and applies them.
    func apply(events: [RecordedEvent], to table: ProjectionTable, in txn: borrowing WriteTransaction) throws {
        try apply(try prepare(events), to: table, in: txn)
    }

    /// Applies a page this projector prepared, handed over as an existential.
    ///
    /// - Throws: ``EventLogError/corrupted(_:)`` if `prepared` is not this projector's kind of page.
    func apply(prepared: any Sendable, to table: ProjectionTable, in txn: borrowing WriteTransaction) throws {
        guard let page = prepared as? Prepared else {
            throw EventLogError.corrupted("\(name) was handed a page another projector prepared")
        }
        try apply(page, to: table, in: txn)
    }

    package func skip(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {}

    package func forget(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {
        throw ErasureRefusal("\(name) does not say how to forget erased \(event.type) data")
    }

    /// Lets this projector forget `event`'s erased data in `table`, if it wants the event, naming
    /// itself in a refusal.
    func forgetIfWanted(_ event: RecordedEvent, in table: ProjectionTable, txn: borrowing WriteTransaction) throws {
        guard wants(event) else { return }
        do {
            try forget(event, in: table, txn: txn)
        } catch let refusal as ErasureRefusal {
            throw EventLogError.erasureRefused(projector: name, position: event.position, reason: refusal.reason)
        }
    }

    /// The read model's database name: `projection.<name>.v<version>`.
    package var namespace: String { "projection.\(name).v\(version)" }

    /// Whether the projector wants `event`.
    func wants(_ event: RecordedEvent) -> Bool { eventTypes.isEmpty || eventTypes.contains(event.type) }
}

/// A projector's own key–value table, with typed access for its queries. (The log reads its own
/// `stream-heads` through the same type, for the same prefix scans.)
package struct ProjectionTable: Sendable {
    let database: Database

    /// The value stored under `key`, or `nil`.
    package func value(forKey key: [UInt8], in txn: borrowing some Transaction & ~Copyable) throws -> [UInt8]? {
        try txn.value(forKey: key, in: database)
    }

    /// Stores `value` under `key`.
    package func put(_ value: [UInt8], forKey key: [UInt8], in txn: borrowing WriteTransaction) throws {
        try txn.put(value, forKey: key, in: database)
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    package func delete(_ key: [UInt8], in txn: borrowing WriteTransaction) throws -> Bool {
        try txn.delete(key, in: database)
    }

    /// Up to `limit` entries whose keys start with `prefix`, in key order, after the key `after`.
    package func scan(
        prefix: [UInt8], after: [UInt8]? = nil, limit: Int, in txn: borrowing some Transaction & ~Copyable
    ) throws -> [(key: [UInt8], value: [UInt8])] {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        guard limit > 0 else { return entries }
        try txn.withCursor(in: database) { cursor in
            var entry: Cursor.Entry?
            if let after {
                entry = try cursor.seek(atLeast: after)
                if let found = entry, found.key.elementsEqual(after) { entry = try cursor.next() }
            } else {
                // LMDB refuses an empty key, so "no prefix" starts at the first entry.
                entry = try prefix.isEmpty ? cursor.first() : cursor.seek(atLeast: prefix)
            }
            while let current = entry, current.key.starts(with: prefix), entries.count < limit {
                entries.append((Array(current.key), Array(current.value)))
                entry = try cursor.next()
            }
        }
        return entries
    }
}
