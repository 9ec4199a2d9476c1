import TallyCore

extension Ledger {
    /// Why a stored payload is not the ledger event its type names.
    package enum PayloadError: Error, Equatable {
        /// Not a JSON object of string and integer members.
        case malformed
        /// The member is absent or of the wrong kind.
        case missing(String)
    }

    /// What happened to an account. These cases, their type names and their payloads' JSON
    /// members are the stored format: rename nothing; add cases instead.
    package enum Event: Sendable, Equatable {
        /// An account was opened.
        case accountOpened(AccountOpened)
        /// Money came into an account.
        case deposited(Movement)
        /// Money left an account.
        case withdrawn(Movement)
        /// An account paid out one side of a transfer.
        case transferDebited(TransferLeg)
        /// An account received one side of a transfer.
        case transferCredited(TransferLeg)
        /// An account was frozen.
        case accountFrozen(AccountReference)
        /// A frozen account was released.
        case accountUnfrozen(AccountReference)
        /// An account was closed.
        case accountClosed(AccountReference)
    }

    /// The payload of ``Event/accountOpened(_:)``.
    package struct AccountOpened: Codable, Sendable, Equatable {
        package let account: String
        /// Who holds the account; `nil` once erased (personal data, see ``Event/init(type:json:erased:)``).
        package let owner: String?
        package let currency: String
        package let overdraftLimit: Int64

        package init(account: String, owner: String?, currency: String, overdraftLimit: Int64) {
            self.account = account
            self.owner = owner
            self.currency = currency
            self.overdraftLimit = overdraftLimit
        }
    }

    /// The payload of ``Event/deposited(_:)`` and ``Event/withdrawn(_:)``: money in or out of one account.
    package struct Movement: Codable, Sendable, Equatable {
        package let account: String
        package let amount: Int64

        package init(account: String, amount: Int64) {
            self.account = account
            self.amount = amount
        }
    }

    /// One side of a transfer: `account` is debited or credited, `counterparty` is the other side.
    package struct TransferLeg: Codable, Sendable, Equatable {
        package let account: String
        package let counterparty: String
        package let amount: Int64

        package init(account: String, counterparty: String, amount: Int64) {
            self.account = account
            self.counterparty = counterparty
            self.amount = amount
        }
    }

    /// The payload of events that only name their account.
    package struct AccountReference: Codable, Sendable, Equatable {
        package let account: String

        package init(account: String) { self.account = account }
    }
}

extension Ledger.Event {
    /// Every stored event type name, in declaration order.
    package static let typeNames = [
        "accountOpened", "deposited", "withdrawn", "transferDebited", "transferCredited", "accountFrozen",
        "accountUnfrozen", "accountClosed",
    ]

    /// The stored type name of this event.
    package var type: String {
        switch self {
        case .accountOpened: "accountOpened"
        case .deposited: "deposited"
        case .withdrawn: "withdrawn"
        case .transferDebited: "transferDebited"
        case .transferCredited: "transferCredited"
        case .accountFrozen: "accountFrozen"
        case .accountUnfrozen: "accountUnfrozen"
        case .accountClosed: "accountClosed"
        }
    }

    /// The account (and so the stream) the event belongs to.
    package var account: String {
        switch self {
        case .accountOpened(let payload): payload.account
        case .deposited(let payload), .withdrawn(let payload): payload.account
        case .transferDebited(let payload), .transferCredited(let payload): payload.account
        case .accountFrozen(let payload), .accountUnfrozen(let payload), .accountClosed(let payload):
            payload.account
        }
    }

    /// The event's payload, to be encoded as its stored data.
    package var payload: any Encodable & Sendable {
        switch self {
        case .accountOpened(let payload): payload
        case .deposited(let payload), .withdrawn(let payload): payload
        case .transferDebited(let payload), .transferCredited(let payload): payload
        case .accountFrozen(let payload), .accountUnfrozen(let payload), .accountClosed(let payload): payload
        }
    }

    /// Rebuilds an event from its stored type name and JSON payload; `nil` for a type the ledger does not know.
    /// An `erased` event's payload may lack `owner`, the one member that is personal data; every
    /// other member is what the books are made of and must be there.
    ///
    /// - Throws: ``Ledger/PayloadError`` when the payload does not match the type.
    package init?(type: String, json: some Collection<UInt8>, erased: Bool = false) throws {
        guard Self.typeNames.contains(type) else { return nil }
        let object = try FlatJSONObject(json)
        switch type {
        case "accountOpened":
            self = .accountOpened(
                .init(
                    account: try object.string("account"),
                    owner: erased ? try object.optionalString("owner") : try object.string("owner"),
                    currency: try object.string("currency"), overdraftLimit: try object.integer("overdraftLimit")))
        case "deposited":
            self = .deposited(.init(account: try object.string("account"), amount: try object.integer("amount")))
        case "withdrawn":
            self = .withdrawn(.init(account: try object.string("account"), amount: try object.integer("amount")))
        case "transferDebited", "transferCredited":
            let leg = Ledger.TransferLeg(
                account: try object.string("account"), counterparty: try object.string("counterparty"),
                amount: try object.integer("amount"))
            self = type == "transferDebited" ? .transferDebited(leg) : .transferCredited(leg)
        case "accountFrozen": self = .accountFrozen(.init(account: try object.string("account")))
        case "accountUnfrozen": self = .accountUnfrozen(.init(account: try object.string("account")))
        default: self = .accountClosed(.init(account: try object.string("account")))
        }
    }
}

extension Ledger.Event {
    /// The payload as compact JSON with sorted keys: byte for byte what `JSONEncoder` with
    /// `.sortedKeys` writes (the golden tests check both), built by hand because the writer
    /// encodes every command's events and `JSONEncoder` was measured as its largest cost.
    package var payloadJSON: [UInt8] {
        var json = JSONWriter()
        json.object { json in payloadMembers(into: &json) }
        return json.bytes
    }

    private func payloadMembers(into json: inout JSONWriter) {
        switch self {
        case .accountOpened(let payload):
            json.member("account", string: payload.account)
            json.member("currency", string: payload.currency)
            json.member("overdraftLimit", integer: payload.overdraftLimit)
            if let owner = payload.owner { json.member("owner", string: owner) }
        case .deposited(let payload), .withdrawn(let payload):
            json.member("account", string: payload.account)
            json.member("amount", integer: payload.amount)
        case .transferDebited(let payload), .transferCredited(let payload):
            json.member("account", string: payload.account)
            json.member("amount", integer: payload.amount)
            json.member("counterparty", string: payload.counterparty)
        case .accountFrozen(let payload), .accountUnfrozen(let payload), .accountClosed(let payload):
            json.member("account", string: payload.account)
        }
    }
}
