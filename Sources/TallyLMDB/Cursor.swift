import CTallyLMDB

/// A position in a database, walked in key order (and, in a duplicate-sorted
/// database, in value order within a key). Valid only inside ``Transaction/withCursor(in:_:)``.
///
/// Every move returns the ``Entry`` it lands on, or `nil` when there is none.
package struct Cursor: ~Copyable {
    let pointer: OpaquePointer

    /// A key and value where they lie in the map.
    ///
    /// - Important: Both buffers are valid only until the next move of the cursor or
    ///   the end of the transaction, whichever is first. Copy what you keep.
    package struct Entry {
        /// The entry's key.
        package let key: UnsafeRawBufferPointer
        /// The entry's value.
        package let value: UnsafeRawBufferPointer
    }

    /// Moves to the first entry.
    package func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
    /// Moves to the last entry (the last value of the last key).
    package func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
    /// Moves to the next entry, duplicates included.
    package func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
    /// Moves to the previous entry, duplicates included.
    package func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }
    /// Moves to the next value of the current key.
    package func nextDuplicate() throws(LMDBError) -> Entry? { try move(MDB_NEXT_DUP) }
    /// Moves to the previous value of the current key.
    package func previousDuplicate() throws(LMDBError) -> Entry? { try move(MDB_PREV_DUP) }
    /// Moves to the last value of the current key.
    package func lastDuplicate() throws(LMDBError) -> Entry? { try move(MDB_LAST_DUP) }

    /// Moves to the first entry whose key is `key` or sorts after it.
    package func seek(atLeast key: [UInt8]) throws(LMDBError) -> Entry? {
        if key.isEmpty { return try first() }  // every key sorts after the empty one
        let longest = Int(mdb_env_get_maxkeysize(environment))
        guard key.count > longest else { return try seek(key, value: nil, MDB_SET_RANGE) }
        // No stored key is this long: the first key after it is the first after its longest storable
        // prefix, that prefix itself excepted (it sorts before the longer key).
        let prefix = Array(key.prefix(longest))
        guard let entry = try seek(prefix, value: nil, MDB_SET_RANGE) else { return nil }
        return entry.key.elementsEqual(prefix) ? try next() : entry
    }

    /// Moves to the entry with exactly `key` (its first value).
    package func seek(exactly key: [UInt8]) throws(LMDBError) -> Entry? {
        guard isStorableKey(key, environment: environment) else { return nil }
        return try seek(key, value: nil, MDB_SET_KEY)
    }

    /// In a duplicate-sorted database: moves to `key`'s first value that is `value` or sorts after it.
    package func seek(key: [UInt8], valueAtLeast value: [UInt8]) throws(LMDBError) -> Entry? {
        guard isStorableKey(key, environment: environment) else { return nil }
        return try seek(key, value: value, MDB_GET_BOTH_RANGE)
    }

    /// The environment the cursor's transaction belongs to.
    private var environment: OpaquePointer? { mdb_txn_env(mdb_cursor_txn(pointer)) }

    private func seek(_ key: [UInt8], value: [UInt8]?, _ operation: MDB_cursor_op) throws(LMDBError) -> Entry? {
        let code = key.withUnsafeBytes { keyBytes in
            (value ?? []).withUnsafeBytes { valueBytes in
                var keyValue = MDB_val(keyBytes)
                var data = MDB_val(valueBytes)
                return mdb_cursor_get(pointer, &keyValue, &data, operation)
            }
        }
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get")
        // Some seeks leave the key pointing at the caller's buffer; read both back from the map.
        return try move(MDB_GET_CURRENT)
    }

    private func move(_ operation: MDB_cursor_op) throws(LMDBError) -> Entry? {
        var keyValue = MDB_val()
        var data = MDB_val()
        return try entry(mdb_cursor_get(pointer, &keyValue, &data, operation), keyValue, data)
    }

    private func entry(_ code: Int32, _ key: MDB_val, _ value: MDB_val) throws(LMDBError) -> Entry? {
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get")
        return Entry(
            key: UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            value: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }
}
