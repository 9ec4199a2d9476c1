import CTallyLMDB

/// A non-zero return code from an LMDB call, with the call that produced it.
///
/// Lookups that find nothing do not throw: they return `nil`. `MDB_NOTFOUND`
/// therefore never escapes this module.
package struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, closed so that every layer above can switch over it exhaustively.
    package enum Kind: Equatable, Sendable {
        /// The key already exists; with `append`, the key was not the largest.
        case keyExists
        /// The memory map is full; the environment must grow (``Environment/setMapSize(_:)``).
        case mapFull
        /// Every reader slot is taken by a live transaction.
        case readersFull
        /// Another process grew the map; ``Environment`` adopts the new size and retries.
        case mapResized
        /// LMDB found a page that is not what it should be (`MDB_CORRUPTED`, `MDB_PAGE_NOTFOUND`).
        case corrupted
        /// An earlier fatal error left the environment unusable (`MDB_PANIC`).
        case panic
        /// A key or value is too large or empty where LMDB forbids it.
        case badValueSize
        /// The data file was written by an incompatible LMDB version or is not an LMDB file.
        case incompatible
        /// An `errno` from the operating system, such as `ENOSPC`, `EIO` or `EACCES`.
        case system(errno: Int32)
        /// Any other LMDB code; its meaning is in `lmdb.h`.
        case other(code: Int32)
    }

    /// What went wrong.
    package let kind: Kind
    /// The C function that failed, for example `"mdb_put"`.
    package let operation: String
    /// The raw return code.
    package let code: Int32

    /// Classifies `code`, a return value of `operation`.
    package init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
        switch code {
        case MDB_KEYEXIST: kind = .keyExists
        case MDB_MAP_FULL: kind = .mapFull
        case MDB_READERS_FULL: kind = .readersFull
        case MDB_MAP_RESIZED: kind = .mapResized
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND: kind = .corrupted
        case MDB_PANIC: kind = .panic
        case MDB_BAD_VALSIZE: kind = .badValueSize
        case MDB_INVALID, MDB_VERSION_MISMATCH: kind = .incompatible
        case 1...: kind = .system(errno: code)  // positive codes are errno values (lmdb.h, "Return Codes")
        default: kind = .other(code: code)
        }
    }

    package var description: String {
        "\(operation): \(String(cString: mdb_strerror(code)))"
    }
}

/// The one place where C return codes become Swift errors.
@inline(__always)
func check(_ code: Int32, _ operation: String) throws(LMDBError) {
    guard code == MDB_SUCCESS else { throw LMDBError(code: code, operation: operation) }
}
