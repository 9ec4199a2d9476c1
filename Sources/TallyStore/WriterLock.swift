import Foundation
import Synchronization
import TallyLMDB

/// An exclusive `flock(2)` on `<data-dir>/tally.lock`, held by the one process that writes a log.
///
/// LMDB lets several processes write one environment, but ``EventLog`` keeps the Merkle frontier
/// and the head in memory: a second writing process would append from a stale frontier. So every
/// `EventLog` takes this lock before it opens the environment, and a second one — another
/// `tally serve`, or an offline `tally import` beside a running server — is refused at once.
/// Readers (``ReadOnlyLog``) never take it; `tally keys --data-dir` does, because the server keeps
/// the key list in memory. The kernel releases the lock when the process dies,
/// so a crash leaves nothing to clean up.
package final class WriterLock: Sendable {
    /// The lock file's name inside the data directory.
    package static let fileName = "tally.lock"

    private let descriptor: Mutex<Int32?>

    /// Takes the lock of the log in `directory`, creating the directory and the lock file if needed.
    ///
    /// - Throws: ``EventLogError/inUse(path:)`` if another open log holds it; `LMDBError` with the
    ///   system's `errno` if the directory or the file cannot be made.
    package init(directory: String) throws {
        if mkdir(directory, 0o750) != 0, errno != EEXIST { throw LMDBError(code: errno, operation: "mkdir") }
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LMDBError(code: errno, operation: "open \(Self.fileName)") }
        var attempts = 0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            attempts += 1
            // A process that starts a child (posix_spawn) lends the child a copy of every
            // descriptor until its exec closes the close-on-exec ones; if that process just closed
            // its own log, the copy holds the lock for that moment. So a busy lock is retried
            // briefly before it counts as another writer.
            if code == EWOULDBLOCK, attempts < Self.attempts {
                usleep(Self.retryMicroseconds)
                continue
            }
            Glibc.close(descriptor)
            if code == EWOULDBLOCK { throw EventLogError.inUse(path: directory) }
            throw LMDBError(code: code, operation: "flock \(Self.fileName)")
        }
        self.descriptor = Mutex(descriptor)
    }

    /// How often a busy lock is tried, `retryMicroseconds` apart (about a quarter of a second in all).
    private static let attempts = 50
    private static let retryMicroseconds: UInt32 = 5_000

    /// Releases the lock; safe to call repeatedly.
    package func release() {
        descriptor.withLock { descriptor in
            if let open = descriptor { Glibc.close(open) }
            descriptor = nil
        }
    }

    deinit { release() }
}
