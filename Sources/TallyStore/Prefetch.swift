import Dispatch
import Synchronization

/// A value computed on another thread while the caller does something else: the next page of a
/// rebuild, read and prepared while the writer applies the one before.
final class Prefetch<Value: Sendable>: Sendable {
    private let done = DispatchGroup()
    private let result = Mutex<Result<Value, any Error>?>(nil)

    /// Starts `work` on a global queue.
    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async(group: done) { [self] in
            let outcome = Result { try work() }
            self.result.withLock { $0 = outcome }
        }
    }

    /// Waits for the work to finish (say, before what it reads can close).
    func wait() { done.wait() }

    /// Waits for the work and returns what it returned.
    ///
    /// - Throws: what the work threw.
    func value() throws -> Value {
        done.wait()
        return try result.withLock { $0! }.get()
    }
}
