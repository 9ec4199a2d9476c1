import TallyLMDB

/// The projections' bookkeeping beside the log: which version of each read model is active,
/// each async read model's checkpoint, and the events projectors could not apply.
///
/// Layout (`docs/FORMAT.md`): in `projections`, `<name>` → active version (u32) and
/// `<namespace>` → checkpoint (u64); in `projection-dead-letters`, `<name>` ‖ 0x00 ‖ position (u64)
/// → the error as UTF-8 text.
struct ProjectionRegistry: Sendable {
    let registry: Database
    let deadLetters: Database

    init(environment: Environment) throws {
        func open(_ name: String) throws -> Database {
            guard let database = try environment.openDatabase(name) else {
                throw EventLogError.corrupted("database \(name) is missing")
            }
            return database
        }
        registry = try open("projections")
        deadLetters = try open("projection-dead-letters")
    }

    func activeVersion(of name: String, in txn: borrowing some Transaction & ~Copyable) throws -> Int? {
        try txn.withValue(forKey: Array(name.utf8), in: registry) { Int(UInt32(bigEndianBytes: $0)) }
    }

    func setActiveVersion(_ version: Int, of name: String, in txn: borrowing WriteTransaction) throws {
        try txn.put(UInt32(version).bigEndianBytes, forKey: Array(name.utf8), in: registry)
    }

    func checkpoint(of namespace: String, in txn: borrowing some Transaction & ~Copyable) throws -> UInt64 {
        try txn.withValue(forKey: Array(namespace.utf8), in: registry) { UInt64(bigEndianBytes: $0) } ?? 0
    }

    func setCheckpoint(_ position: UInt64, of namespace: String, in txn: borrowing WriteTransaction) throws {
        try txn.put(position.bigEndianBytes, forKey: Array(namespace.utf8), in: registry)
    }

    func recordDeadLetter(
        projector: String, position: UInt64, error: any Error, in txn: borrowing WriteTransaction
    ) throws {
        let key = Array(projector.utf8) + [0] + position.bigEndianBytes
        try txn.put(Array(String(describing: error).utf8), forKey: key, in: deadLetters)
    }

    /// Retries or skips the dead letter of `projector` at `event`'s position.
    ///
    /// - Returns: whether the dead letter is resolved (a retry that throws again stays, with its new error).
    /// - Throws: ``EventLogError/noSuchDeadLetter(projector:position:)`` if there is none.
    func resolveDeadLetter(
        _ resolution: DeadLetterResolution, of event: RecordedEvent, with projector: any Projector,
        table: ProjectionTable, in txn: borrowing WriteTransaction
    ) throws -> Bool {
        let key = Array(projector.name.utf8) + [0] + event.position.bigEndianBytes
        guard try txn.value(forKey: key, in: deadLetters) != nil else {
            throw EventLogError.noSuchDeadLetter(projector: projector.name, position: event.position)
        }
        switch resolution {
        case .skip:
            try txn.nested { child in try projector.skip(event, in: table, txn: child) }
        case .retry:
            do {
                try txn.nested { child in try projector.apply(events: [event], to: table, in: child) }
            } catch let error as LMDBError where error.endsTheBatch {
                throw error
            } catch {
                try txn.put(Array(String(describing: error).utf8), forKey: key, in: deadLetters)
                return false
            }
        }
        try txn.delete(key, in: deadLetters)
        return true
    }

    /// Removes every dead letter of the projector named `name`.
    func removeDeadLetters(of name: String, in txn: borrowing WriteTransaction) throws {
        for letter in try deadLetterRecords(of: name, in: txn) {
            try txn.delete(Array(name.utf8) + [0] + letter.position.bigEndianBytes, in: deadLetters)
        }
    }

    /// The dead letters of the projector named `name`, oldest first.
    func deadLetterRecords(of name: String, in txn: borrowing some Transaction & ~Copyable) throws -> [DeadLetter] {
        let prefix = Array(name.utf8) + [0]
        return try ProjectionTable(database: deadLetters).scan(prefix: prefix, limit: .max, in: txn).map { entry in
            DeadLetter(
                projector: name,
                position: entry.key.withUnsafeBytes {
                    UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: $0[prefix.count...]))
                },
                error: String(decoding: entry.value, as: UTF8.self))
        }
    }

    /// The events `projector` wants from `events`, prepared for it. Reads nothing: any thread may
    /// prepare a page ahead of the writer.
    func prepare(_ events: [RecordedEvent], for projector: any Projector) -> PreparedPage {
        let wanted = events.filter(projector.wants)
        return PreparedPage(
            events: wanted, prepared: wanted.isEmpty ? .success(wanted) : Result { try projector.prepare(wanted) })
    }

    /// Applies the events `projector` wants from `events`, all in one nested transaction; if one
    /// throws (other than a storage fault), rolls them back and applies them one at a time, so only
    /// the events that throw become dead letters.
    func apply(
        _ events: [RecordedEvent], with projector: any Projector, to table: ProjectionTable,
        in txn: borrowing WriteTransaction
    ) throws {
        try apply(prepare(events, for: projector), with: projector, to: table, in: txn)
    }

    /// Applies a page prepared by ``prepare(_:for:)`` for `projector`, as ``apply(_:with:to:in:)``
    /// does; a page whose preparation threw is applied one event at a time.
    func apply(
        _ page: PreparedPage, with projector: any Projector, to table: ProjectionTable,
        in txn: borrowing WriteTransaction
    ) throws {
        guard !page.events.isEmpty else { return }
        do {
            let prepared = try page.prepared.get()
            try txn.nested { child in try projector.apply(prepared: prepared, to: table, in: child) }
        } catch let error as LMDBError where error.endsTheBatch {
            throw error
        } catch {
            for event in page.events { try apply(event, with: projector, to: table, in: txn) }
        }
    }

    /// Applies `event` with `projector` in a nested transaction; an error other than a storage
    /// fault rolls the projector's writes back and becomes a dead letter.
    func apply(
        _ event: RecordedEvent, with projector: any Projector, to table: ProjectionTable,
        in txn: borrowing WriteTransaction
    ) throws {
        do {
            try txn.nested { child in try projector.apply(events: [event], to: table, in: child) }
        } catch let error as LMDBError where error.endsTheBatch {
            throw error
        } catch {
            try recordDeadLetter(projector: projector.name, position: event.position, error: error, in: txn)
        }
    }
}

/// The events of a page one projector wants, and what its ``Projector/prepare(_:)`` made of them
/// (or the error it threw).
struct PreparedPage: Sendable {
    let events: [RecordedEvent]
    let prepared: Result<any Sendable, any Error>
}
