import CTallyLMDB

/// The raw transaction handle; only this module can see inside.
package struct TransactionHandle {
    let pointer: OpaquePointer
}

/// What both kinds of transaction can do: look up values and walk cursors.
///
/// Transactions are `~Copyable` and handed to closures `borrowing`, so none can
/// outlive the ``Environment/read(_:)`` or ``Environment/write(_:)`` call that made it.
package protocol Transaction: ~Copyable {
    /// The underlying LMDB transaction.
    var handle: TransactionHandle { get }
}

/// A read-only snapshot. Valid only inside ``Environment/read(_:)``.
package struct ReadTransaction: Transaction, ~Copyable {
    package let handle: TransactionHandle
    init(pointer: OpaquePointer) { handle = TransactionHandle(pointer: pointer) }
}

/// The environment's single write transaction, or a nested one. Valid only inside
/// ``Environment/write(_:)`` or ``WriteTransaction/nested(_:)``.
package struct WriteTransaction: Transaction, ~Copyable {
    package let handle: TransactionHandle
    init(pointer: OpaquePointer) { handle = TransactionHandle(pointer: pointer) }
}

extension Transaction where Self: ~Copyable {
    var pointer: OpaquePointer { handle.pointer }

    /// Returns a copy of the value stored under `key`, or `nil` if there is none.
    package func value(forKey key: [UInt8], in database: Database) throws(LMDBError) -> [UInt8]? {
        try mappedValue(forKey: key, in: database).map { Array($0) }
    }

    /// Calls `body` with the value stored under `key`, in place in the map; `nil` if there is none.
    ///
    /// - Important: The buffer is valid only until `body` returns. Copy what you keep.
    package func withValue<R>(
        forKey key: [UInt8], in database: Database, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        guard let bytes = try mappedValue(forKey: key, in: database) else { return nil }
        return try body(bytes)
    }

    /// The value under `key` where it lies in the map, valid until the transaction ends or writes.
    private func mappedValue(forKey key: [UInt8], in database: Database) throws(LMDBError) -> UnsafeRawBufferPointer? {
        guard isStorableKey(key, environment: mdb_txn_env(pointer)) else { return nil }
        var data = MDB_val()
        let code = key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(keyBytes)
            return mdb_get(pointer, database.handle, &keyValue, &data)
        }
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_get")
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    /// The number of entries (counting every duplicate) in `database`.
    package func count(in database: Database) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(pointer, database.handle, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// Opens a cursor on `database`, runs `body` with it, and closes it.
    package func withCursor<R>(
        in database: Database, _ body: (borrowing Cursor) throws -> R
    ) throws -> R {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(pointer, database.handle, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(pointer: cursor!))
    }
}

extension WriteTransaction {
    /// Stores `value` under `key`, replacing (or, in a duplicate-sorted database, adding to) what is there.
    ///
    /// - Throws: ``LMDBError/Kind/keyExists`` if `flags` forbid the write; ``LMDBError/Kind/mapFull``
    ///   when the map has no room left.
    package func put(_ value: [UInt8], forKey key: [UInt8], in database: Database, flags: PutFlags = [])
        throws(LMDBError)
    {
        let code = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                var keyValue = MDB_val(keyBytes)
                var dataValue = MDB_val(valueBytes)
                return mdb_put(pointer, database.handle, &keyValue, &dataValue, flags.rawValue)
            }
        }
        try check(code, "mdb_put")
    }

    /// Deletes `key` (and all its values, in a duplicate-sorted database); returns whether it existed.
    @discardableResult
    package func delete(_ key: [UInt8], in database: Database) throws(LMDBError) -> Bool {
        let code = key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(keyBytes)
            return mdb_del(pointer, database.handle, &keyValue, nil)
        }
        if code == MDB_NOTFOUND { return false }
        try check(code, "mdb_del")
        return true
    }

    /// Removes every entry of `database`, keeping the database and its handle.
    package func empty(_ database: Database) throws(LMDBError) {
        try check(mdb_drop(pointer, database.handle, 0), "mdb_drop")
    }

    /// Deletes `database` and everything in it; its handle must not be used afterwards.
    package func drop(_ database: Database) throws(LMDBError) {
        try check(mdb_drop(pointer, database.handle, 1), "mdb_drop")
    }

    /// Runs `body` in a child transaction: its writes join this transaction if it returns,
    /// and vanish alone if it throws, leaving this transaction as it was.
    package func nested<R>(_ body: (borrowing WriteTransaction) throws -> R) throws -> R {
        var child: OpaquePointer?
        try check(mdb_txn_begin(mdb_txn_env(pointer), pointer, 0, &child), "mdb_txn_begin")
        let result: R
        do {
            result = try body(WriteTransaction(pointer: child!))
        } catch {
            mdb_txn_abort(child)
            throw error
        }
        try check(mdb_txn_commit(child), "mdb_txn_commit")
        return result
    }
}

extension MDB_val {
    /// Points LMDB at `bytes` for the duration of one call. LMDB does not write through
    /// a key or a `mdb_put` value (lmdb.h), so casting away `const` is safe.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.init(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
    }
}

/// Whether LMDB can store `key`: 1 to `mdb_env_get_maxkeysize` (511) bytes.
///
/// LMDB answers a lookup of any other key with `MDB_BAD_VALSIZE`; since no such key can be stored,
/// lookups treat it as absent instead (a client may ask for an empty or 600-byte name).
func isStorableKey(_ key: [UInt8], environment: OpaquePointer?) -> Bool {
    !key.isEmpty && key.count <= Int(mdb_env_get_maxkeysize(environment))
}
