/// The pure heart of a domain: decide what happens, then fold what happened.
///
/// `decide` may refuse a command by throwing `Rejection`. `evolve` must accept every
/// event it is given: events are facts already in the log, and a replay that failed
/// could never be repaired. Neither does I/O, so both run inside the log's writer.
///
/// ```swift
/// let events = try Ledger.decide(.deposit(account: id, amount: 1250), state)
/// let next = events.reduce(state, Ledger.evolve)
/// ```
package protocol Decider: Sendable {
    /// What a caller asks for.
    associatedtype Command: Sendable
    /// What happened; these cases are the stored format.
    associatedtype Event: Sendable & Equatable
    /// What `decide` needs to know.
    associatedtype State: Sendable
    /// Why a command was refused: data, not prose.
    associatedtype Rejection: Error & Equatable

    /// The state before any event.
    static var initialState: State { get }
    /// Returns the events `command` produces in `state`; an empty array means "nothing to do".
    static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event]
    /// Returns `state` with `event` applied. Never throws, never does I/O.
    static func evolve(_ state: State, _ event: Event) -> State
}

extension Decider {
    /// Folds `events` over ``initialState``.
    package static func fold(_ events: some Sequence<Event>) -> State { events.reduce(initialState, evolve) }
}
