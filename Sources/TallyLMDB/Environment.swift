import CTallyLMDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One LMDB environment: a memory-mapped data file and its lock file in a directory.
///
/// Open exactly one `Environment` per directory per process and keep it for the
/// life of the process. LMDB's advisory locks break if the same file is opened
/// twice in one process, so a second `init` for the same path throws.
///
/// ```swift
/// let env = try Environment(path: "./tally-data")
/// let events = try env.openDatabase("events")
/// try env.write { txn in try txn.put([1], forKey: [0, 0, 0, 1], in: events) }
/// let value = try env.read { txn in try txn.value(forKey: [0, 0, 0, 1], in: events) }
/// ```
package final class Environment: Sendable {
    /// How an environment is opened.
    package struct Options: Sendable {
        /// The size of the memory map in bytes: address space, not disk. Grows with ``Environment/setMapSize(_:)``.
        package var mapSize: Int = 1 << 30
        /// The number of named databases the environment may hold.
        package var maxDatabases: Int = 32
        /// The number of concurrent read transactions across all processes.
        package var maxReaders: Int = 256
        /// Open without the ability to write; other processes may write meanwhile.
        package var readOnly = false
        /// Whether a commit waits for the disk.
        package var durability: Durability = .durable

        /// The defaults: 1 GiB map, 32 databases, 256 readers, writable, durable.
        package init() {}
    }

    /// Whether a commit returns only once its pages are on disk.
    package enum Durability: Sendable {
        /// LMDB's default: every commit `fsync`s. Acknowledged writes survive power loss.
        case durable
        /// `MDB_NOSYNC`: commits do not wait for the disk. A crash of the machine (not only
        /// the process) may lose or corrupt recent commits. For tests and benchmarks only.
        case unsafeNoSync
    }

    /// The directory holding `data.mdb` and `lock.mdb`.
    package let path: String
    /// Whether this environment refuses writes.
    package let isReadOnly: Bool
    // `MDB_env *` is safe to use from any thread for everything except
    // `mdb_env_close` and `mdb_env_set_mapsize`, which LMDB requires to run with no
    // transaction active in the process: ``resizeLock`` holds every use shared, and
    // closing or resizing exclusive.
    private let handle: UnsafeHandle
    private let resizeLock = ReadWriteLock()
    /// Set once by ``close()``, under the exclusive lock; read under the shared one.
    private let isClosed = Atomic<Bool>(false)
    private static let openPaths = Mutex<Set<String>>([])

    var pointer: OpaquePointer { handle.pointer }

    /// Opens (creating the directory and files if needed) the environment at `path`.
    ///
    /// Clears reader slots left behind by dead processes (`mdb_reader_check`) before returning.
    ///
    /// - Throws: ``LMDBError`` if LMDB refuses the directory, or
    ///   `.system(errno: EBUSY)` if this process already has it open.
    package init(path: String, options: Options = .init()) throws(LMDBError) {
        let inserted = Self.openPaths.withLock { $0.insert(path).inserted }
        guard inserted else { throw LMDBError(code: EBUSY, operation: "Environment.init") }
        var env: OpaquePointer?
        do throws(LMDBError) {
            if !options.readOnly, mkdir(path, 0o750) != 0, errno != EEXIST {
                throw LMDBError(code: errno, operation: "mkdir")
            }
            try check(mdb_env_create(&env), "mdb_env_create")
            try check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
            try check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, UInt32(options.maxReaders)), "mdb_env_set_maxreaders")
            // MDB_NOTLS: read transactions are not tied to a thread, which is what
            // Swift tasks need, since they may resume on any thread.
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if options.durability == .unsafeNoSync { flags |= UInt32(MDB_NOSYNC) }
            if !options.readOnly { try Self.reserveLockFile(in: path, maxReaders: options.maxReaders) }
            try check(mdb_env_open(env, path, flags, 0o640), "mdb_env_open")
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
        } catch {
            mdb_env_close(env)
            _ = Self.openPaths.withLock { $0.remove(path) }
            throw error
        }
        self.handle = UnsafeHandle(env!)
        self.path = path
        self.isReadOnly = options.readOnly
    }

    deinit { close() }

    /// Allocates the disk blocks of `lock.mdb` before LMDB maps it.
    ///
    /// LMDB sizes the lock file with `ftruncate`, which leaves a sparse file, and then writes its
    /// header and reader slots through a shared memory map: on a full disk the first write to an
    /// unallocated page kills the process with `SIGBUS`. Allocating the blocks first turns a full
    /// disk into `ENOSPC` here. The size is liblmdb 0.9's for `maxReaders` on a 64-bit system
    /// (a 192-byte `MDB_txninfo` holding the first reader, 64 bytes per further reader), which
    /// LMDB then keeps as it is; a larger existing file is allocated whole.
    private static func reserveLockFile(in directory: String, maxReaders: Int) throws(LMDBError) {
        let descriptor = open("\(directory)/lock.mdb", O_RDWR | O_CREAT, 0o640)
        guard descriptor >= 0 else { throw LMDBError(code: errno, operation: "open lock.mdb") }
        defer { Glibc.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw LMDBError(code: errno, operation: "stat lock.mdb") }
        let size = max(status.st_size, off_t(lockFileSize(maxReaders: maxReaders)))
        let code = posix_fallocate(descriptor, 0, size)
        // A file system that cannot allocate ahead (EOPNOTSUPP) leaves LMDB's own behaviour.
        guard code == 0 || code == EOPNOTSUPP else { throw LMDBError(code: code, operation: "allocate lock.mdb") }
    }

    /// The size of the lock file liblmdb 0.9 makes for `maxReaders` readers on a 64-bit system.
    package static func lockFileSize(maxReaders: Int) -> Int { 192 + (maxReaders - 1) * 64 }

    /// Waits for every transaction of this process to end, then closes the environment.
    ///
    /// Afterwards every transaction fails with `.system(errno: EBADF)`, and the directory
    /// may be opened again. Closing twice does nothing.
    package func close() {
        let closedNow = resizeLock.withExclusive {
            guard !isClosed.load(ordering: .relaxed) else { return false }
            isClosed.store(true, ordering: .relaxed)
            mdb_env_close(handle.pointer)
            return true
        }
        if closedNow { _ = Self.openPaths.withLock { $0.remove(path) } }
    }

    /// Opens the named database `name`, creating it unless the environment is read-only.
    ///
    /// Call once per database at start-up and keep the handle: it is valid for the life of the environment.
    ///
    /// - Returns: `nil` if the environment is read-only and the database does not exist yet.
    package func openDatabase(_ name: String, flags: Database.Flags = []) throws -> Database? {
        var raw = flags.rawValue
        if !isReadOnly { raw |= UInt32(MDB_CREATE) }
        var dbi = MDB_dbi()
        // Committed even when read-only: LMDB closes handles opened in an aborted transaction.
        let found = try withTransaction(readOnly: isReadOnly, commit: true) { txn throws(LMDBError) -> Bool in
            let code = mdb_dbi_open(txn, name, raw, &dbi)
            if code == MDB_NOTFOUND { return false }
            try check(code, "mdb_dbi_open")
            return true
        }
        return found ? Database(handle: dbi, name: name) : nil
    }

    /// Runs `body` against a read-only snapshot of the environment.
    ///
    /// Keep `body` short: an open reader stops LMDB from reusing pages, so the file
    /// grows while it runs. Never start a second transaction inside `body`.
    package func read<R>(_ body: (borrowing ReadTransaction) throws -> R) throws -> R {
        try withTransaction(readOnly: true) { txn in try body(ReadTransaction(pointer: txn)) }
    }

    /// Runs `body` in a write transaction; commits if it returns, aborts if it throws.
    ///
    /// LMDB allows one writer per environment and ties it to the thread that
    /// began it, so this method blocks, and cannot be called from `async` code.
    @available(*, noasync, message: "blocks its thread; call it from the writer thread")
    package func write<R>(_ body: (borrowing WriteTransaction) throws -> R) throws -> R {
        try withTransaction(readOnly: false) { txn in try body(WriteTransaction(pointer: txn)) }
    }

    /// Writes a consistent copy of the environment into `directory`, which must exist and be empty.
    ///
    /// The copy is one read snapshot (`mdb_env_copy2`), so writers — in this process or another —
    /// go on while it runs. With `compact`, free pages are left out and the copy is renumbered.
    /// Blocks its thread for the length of the copy.
    package func copy(to directory: String, compact: Bool = true) throws(LMDBError) {
        try resizeLock.withShared { () throws(LMDBError) in
            guard !isClosed.load(ordering: .relaxed) else { throw LMDBError(code: EBADF, operation: "mdb_env_copy2") }
            try check(mdb_env_copy2(pointer, directory, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copy2")
        }
    }

    /// The current size of the memory map in bytes (0 once closed).
    package var mapSize: Int {
        resizeLock.withShared {
            guard !isClosed.load(ordering: .relaxed) else { return 0 }
            var info = MDB_envinfo()
            mdb_env_info(pointer, &info)
            return info.me_mapsize
        }
    }

    /// The bytes of the map in use: pages up to the last one written, times the page size (0 once closed).
    package var usedBytes: Int {
        resizeLock.withShared {
            guard !isClosed.load(ordering: .relaxed) else { return 0 }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            mdb_env_info(pointer, &info)
            mdb_env_stat(pointer, &stat)
            return (info.me_last_pgno + 1) * Int(stat.ms_psize)
        }
    }

    /// The bytes an unprivileged process may still write to the filesystem holding the environment,
    /// or `nil` if the filesystem cannot be asked.
    package var availableDiskBytes: Int? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    /// Sets the size of the memory map; `0` adopts the size another process chose.
    ///
    /// Waits until no transaction of this process is active, as LMDB requires.
    /// - Important: Never call from inside a transaction: it would wait for itself.
    package func setMapSize(_ bytes: Int) throws(LMDBError) {
        try resizeLock.withExclusive { () throws(LMDBError) in
            guard !isClosed.load(ordering: .relaxed) else {
                throw LMDBError(code: EBADF, operation: "mdb_env_set_mapsize")
            }
            try check(mdb_env_set_mapsize(pointer, bytes), "mdb_env_set_mapsize")
        }
    }

    /// Clears reader slots held by processes that no longer exist; returns how many it cleared.
    @discardableResult
    package func clearStaleReaders() throws(LMDBError) -> Int {
        try resizeLock.withShared { () throws(LMDBError) -> Int in
            guard !isClosed.load(ordering: .relaxed) else {
                throw LMDBError(code: EBADF, operation: "mdb_reader_check")
            }
            var dead: Int32 = 0
            try check(mdb_reader_check(pointer, &dead), "mdb_reader_check")
            return Int(dead)
        }
    }

    private enum Attempt<R> {
        case finished(R)
        case mapResizedElsewhere
    }

    /// Begins a transaction under the shared resize lock, runs `body`, and commits
    /// (write, or read with `commit`) or aborts (read, or when `body` throws).
    private func withTransaction<R>(
        readOnly: Bool, commit: Bool = false, _ body: (OpaquePointer) throws -> R
    ) throws -> R {
        while true {
            let attempt = try resizeLock.withShared { () throws -> Attempt<R> in
                guard !isClosed.load(ordering: .relaxed) else {
                    throw LMDBError(code: EBADF, operation: "mdb_txn_begin")
                }
                var txn: OpaquePointer?
                let code = mdb_txn_begin(pointer, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
                if code == MDB_MAP_RESIZED { return .mapResizedElsewhere }
                try check(code, "mdb_txn_begin")
                let result: R
                do {
                    result = try body(txn!)
                } catch {
                    mdb_txn_abort(txn)
                    throw error
                }
                if readOnly && !commit {
                    mdb_txn_abort(txn)
                } else {
                    try check(mdb_txn_commit(txn), "mdb_txn_commit")  // frees txn even when it fails
                }
                return .finished(result)
            }
            switch attempt {
            case .finished(let result): return result
            case .mapResizedElsewhere: try setMapSize(0)  // adopt the other process's size, then begin again
            }
        }
    }
}

/// An `OpaquePointer` that this module promises to use only in thread-safe ways.
struct UnsafeHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
