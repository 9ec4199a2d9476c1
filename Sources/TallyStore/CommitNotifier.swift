import Synchronization

/// Publishes "committed up to position P" from the writer to every waiting reader.
///
/// One value, not a fan-out of events: a subscriber that is slow simply finds a
/// higher head when it next asks, and slows nobody else.
final class CommitNotifier: Sendable {
    private struct State {
        var head: UInt64
        var closed = false
        var nextID = 0
        var waiters: [Int: (after: UInt64, continuation: CheckedContinuation<UInt64, any Error>)] = [:]
        /// Waits cancelled before they had registered.
        var cancelled: Set<Int> = []
    }

    private let state: Mutex<State>

    init(head: UInt64) { state = Mutex(State(head: head)) }

    /// The last committed position.
    var head: UInt64 { state.withLock { $0.head } }

    /// Records that everything up to `head` is committed and wakes every waiter.
    func publish(_ head: UInt64) {
        let woken = state.withLock { state in
            state.head = max(state.head, head)
            let woken = state.waiters.values.filter { $0.after < state.head }.map(\.continuation)
            state.waiters = state.waiters.filter { $0.value.after >= state.head }
            return woken
        }
        for continuation in woken { continuation.resume(returning: head) }
    }

    /// Wakes every waiter with ``EventLogError/closed`` and refuses new waits.
    func close() {
        let woken = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(throwing: EventLogError.closed) }
    }

    /// Returns the committed head once it is beyond `position`.
    ///
    /// - Throws: `CancellationError` if the task is cancelled; ``EventLogError/closed`` when the log closes.
    func wait(beyond position: UInt64) async throws -> UInt64 {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<UInt64, any Error>? = state.withLock { state in
                    if state.closed { return .failure(EventLogError.closed) }
                    if state.head > position { return .success(state.head) }
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    state.waiters[id] = (position, continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil as CheckedContinuation<UInt64, any Error>?
                }
                return waiter.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
