import TallyCore

/// A double-entry ledger of accounts holding integer amounts in a currency's minor units.
///
/// A command names the accounts it touches (``accounts(touchedBy:)``); ``State`` holds just
/// those accounts, and every event names the one account (stream) it belongs to. A transfer
/// debits one account and credits another in one decision, so the store can append both
/// events atomically.
package enum Ledger: Decider {
    /// What a caller asks the ledger to do. Amounts are in minor units (cents for EUR).
    package enum Command: Sendable, Equatable, Codable {
        /// Opens account `id` in an ISO 4217 `currency`, allowed `overdraftLimit` below zero.
        case openAccount(id: String, owner: String, currency: String, overdraftLimit: Int64)
        /// Puts `amount` into `account`.
        case deposit(account: String, amount: Int64)
        /// Takes `amount` out of `account`, within its balance plus overdraft limit.
        case withdraw(account: String, amount: Int64)
        /// Moves `amount` from one account to another of the same currency, atomically.
        case transfer(from: String, to: String, amount: Int64)
        /// Stops money moving in or out of `account`.
        case freeze(account: String)
        /// Lets money move again.
        case unfreeze(account: String)
        /// Closes `account` for good; only at a zero balance.
        case close(account: String)
    }

    /// An account as the ledger's rules see it.
    package struct Account: Sendable, Equatable {
        /// Whether money may move.
        package enum Status: String, Sendable, Equatable, Codable {
            case active, frozen, closed
        }

        /// The account's id (its stream is `account-<id>`).
        package let id: String
        /// Who holds the account; `nil` once erased.
        package let owner: String?
        /// The ISO 4217 code of every amount in the account.
        package let currency: String
        /// How far below zero the balance may go (≥ 0).
        package let overdraftLimit: Int64
        /// The balance in minor units; never below `-overdraftLimit` through commands.
        package var balance: Int64
        /// Whether money may move.
        package var status: Status

        /// What may be withdrawn: the balance plus the overdraft limit.
        package var available: Int64 {
            let (sum, overflow) = balance.addingReportingOverflow(overdraftLimit)
            return overflow ? .max : sum
        }

        /// An account as ``Ledger/evolve(_:_:)`` builds it.
        package init(
            id: String, owner: String?, currency: String, overdraftLimit: Int64, balance: Int64 = 0,
            status: Status = .active
        ) {
            self.id = id
            self.owner = owner
            self.currency = currency
            self.overdraftLimit = overdraftLimit
            self.balance = balance
            self.status = status
        }
    }

    /// The accounts a command touches, by id; an absent id has no account.
    package typealias State = [String: Account]

    /// Why the ledger refused a command: the rule broken, with its data.
    package enum Rejection: Error, Equatable, Sendable {
        /// No account has this id.
        case unknownAccount(String)
        /// An account with this id already exists.
        case accountExists(String)
        /// The account's balance plus overdraft limit (`available`) is less than `requested`.
        case insufficientFunds(account: String, available: Int64, requested: Int64)
        /// A transfer between accounts of different currencies.
        case currencyMismatch(from: String, to: String)
        /// The account is frozen.
        case accountFrozen(String)
        /// The account is closed.
        case accountClosed(String)
        /// A transfer from an account to itself.
        case sameAccount(String)
        /// Amounts must be greater than zero.
        case nonPositiveAmount(Int64)
        /// Only an account at a zero balance may close.
        case nonZeroBalance(account: String, balance: Int64)
        /// Not an active ISO 4217 currency code.
        case invalidCurrency(String)
        /// Account ids are 1–64 characters of `A–Z a–z 0–9 - _ .`.
        case invalidAccountID(String)
        /// Owners are 1–200 bytes.
        case invalidOwner
        /// Overdraft limits are zero or more.
        case negativeOverdraftLimit(Int64)
        /// The balance would exceed what an `Int64` of minor units holds.
        case balanceOverflow(String)
    }

    /// The longest account id, in UTF-8 bytes.
    package static let maxAccountIDBytes = 64
    /// The longest owner name, in UTF-8 bytes.
    package static let maxOwnerBytes = 200

    /// No accounts.
    package static let initialState: State = [:]

    /// The ids of the accounts `command` reads and may change.
    package static func accounts(touchedBy command: Command) -> [String] {
        switch command {
        case .openAccount(let id, _, _, _): [id]
        case .deposit(let account, _), .withdraw(let account, _): [account]
        case .freeze(let account), .unfreeze(let account), .close(let account): [account]
        case .transfer(let from, let to, _): [from, to]
        }
    }

    package static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event] {
        switch command {
        case .openAccount(let id, let owner, let currency, let overdraftLimit):
            try validate(accountID: id)
            guard !owner.isEmpty, owner.utf8.count <= maxOwnerBytes else { throw .invalidOwner }
            guard Currency.minorUnits(of: currency) != nil else { throw .invalidCurrency(currency) }
            guard overdraftLimit >= 0 else { throw .negativeOverdraftLimit(overdraftLimit) }
            guard state[id] == nil else { throw .accountExists(id) }
            return [
                .accountOpened(.init(account: id, owner: owner, currency: currency, overdraftLimit: overdraftLimit))
            ]

        case .deposit(let id, let amount):
            try validate(amount: amount)
            let account = try movable(id, in: state)
            guard !account.balance.addingReportingOverflow(amount).overflow else { throw .balanceOverflow(id) }
            return [.deposited(.init(account: id, amount: amount))]

        case .withdraw(let id, let amount):
            try validate(amount: amount)
            let account = try movable(id, in: state)
            try ensureFunds(account, amount)
            return [.withdrawn(.init(account: id, amount: amount))]

        case .transfer(let from, let to, let amount):
            try validate(amount: amount)
            guard from != to else { throw .sameAccount(from) }
            let source = try movable(from, in: state)
            let target = try movable(to, in: state)
            guard source.currency == target.currency else {
                throw .currencyMismatch(from: source.currency, to: target.currency)
            }
            try ensureFunds(source, amount)
            guard !target.balance.addingReportingOverflow(amount).overflow else { throw .balanceOverflow(to) }
            return [
                .transferDebited(.init(account: from, counterparty: to, amount: amount)),
                .transferCredited(.init(account: to, counterparty: from, amount: amount)),
            ]

        case .freeze(let id):
            let account = try existing(id, in: state)
            switch account.status {
            case .closed: throw .accountClosed(id)
            case .frozen: return []  // already frozen: nothing to do
            case .active: return [.accountFrozen(.init(account: id))]
            }

        case .unfreeze(let id):
            let account = try existing(id, in: state)
            switch account.status {
            case .closed: throw .accountClosed(id)
            case .active: return []  // not frozen: nothing to do
            case .frozen: return [.accountUnfrozen(.init(account: id))]
            }

        case .close(let id):
            let account = try existing(id, in: state)
            switch account.status {
            case .closed: return []  // closing twice is not an error
            case .frozen: throw .accountFrozen(id)
            case .active:
                guard account.balance == 0 else { throw .nonZeroBalance(account: id, balance: account.balance) }
                return [.accountClosed(.init(account: id))]
            }
        }
    }

    package static func evolve(_ state: State, _ event: Event) -> State {
        var state = state
        state[event.account] = evolve(state[event.account], event)
        return state
    }

    /// The one account `event` is about, after it: every ledger event concerns exactly one
    /// account (a transfer is two events), so this is ``evolve(_:_:)`` for a single row, which
    /// read models fold without building a ``State`` per event.
    ///
    /// - Parameter account: The account before the event; `nil` if it was never opened.
    /// - Returns: `nil` only if the account was never opened and `event` does not open it.
    package static func evolve(_ account: Account?, _ event: Event) -> Account? {
        if case .accountOpened(let opened) = event {
            return Account(
                id: opened.account, owner: opened.owner, currency: opened.currency,
                overdraftLimit: opened.overdraftLimit)
        }
        guard var account else { return nil }
        switch event {
        case .accountOpened: break  // handled above
        case .deposited(let movement): account.balance.add(movement.amount)
        case .withdrawn(let movement): account.balance.add(-movement.amount)
        case .transferDebited(let leg): account.balance.add(-leg.amount)
        case .transferCredited(let leg): account.balance.add(leg.amount)
        case .accountFrozen: account.status = .frozen
        case .accountUnfrozen: account.status = .active
        case .accountClosed: account.status = .closed
        }
        return account
    }

    // MARK: - Rules shared by several commands

    private static func validate(accountID id: String) throws(Rejection) {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard !id.isEmpty, id.utf8.count <= maxAccountIDBytes, allowed else { throw .invalidAccountID(id) }
    }

    private static func validate(amount: Int64) throws(Rejection) {
        guard amount > 0 else { throw .nonPositiveAmount(amount) }
    }

    private static func existing(_ id: String, in state: State) throws(Rejection) -> Account {
        guard let account = state[id] else { throw .unknownAccount(id) }
        return account
    }

    /// The account, if money may move in or out of it.
    private static func movable(_ id: String, in state: State) throws(Rejection) -> Account {
        let account = try existing(id, in: state)
        switch account.status {
        case .active: return account
        case .frozen: throw .accountFrozen(id)
        case .closed: throw .accountClosed(id)
        }
    }

    private static func ensureFunds(_ account: Account, _ amount: Int64) throws(Rejection) {
        guard account.available >= amount else {
            throw .insufficientFunds(account: account.id, available: account.available, requested: amount)
        }
    }
}

extension Int64 {
    /// Adds `amount`, saturating instead of trapping: `evolve` must accept any event in the log.
    fileprivate mutating func add(_ amount: Int64) {
        let (sum, overflow) = addingReportingOverflow(amount)
        self = overflow ? (amount > 0 ? .max : .min) : sum
    }
}
