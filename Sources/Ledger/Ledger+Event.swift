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
        switch type {
        case "accountOpened":
            let payload = try PayloadMembers(json)
            self = .accountOpened(
                .init(
                    account: try payload.string(.account),
                    owner: erased ? try payload.optionalString(.owner) : try payload.string(.owner),
                    currency: try payload.string(.currency), overdraftLimit: try payload.integer(.overdraftLimit)))
        case "deposited", "withdrawn":
            let payload = try PayloadMembers(json)
            let movement = Ledger.Movement(account: try payload.string(.account), amount: try payload.integer(.amount))
            self = type == "deposited" ? .deposited(movement) : .withdrawn(movement)
        case "transferDebited", "transferCredited":
            let payload = try PayloadMembers(json)
            let leg = Ledger.TransferLeg(
                account: try payload.string(.account), counterparty: try payload.string(.counterparty),
                amount: try payload.integer(.amount))
            self = type == "transferDebited" ? .transferDebited(leg) : .transferCredited(leg)
        case "accountFrozen", "accountUnfrozen", "accountClosed":
            let reference = Ledger.AccountReference(account: try PayloadMembers(json).string(.account))
            switch type {
            case "accountFrozen": self = .accountFrozen(reference)
            case "accountUnfrozen": self = .accountUnfrozen(reference)
            default: self = .accountClosed(reference)
            }
        default: return nil
        }
    }
}

/// The members of a ledger payload, read in one pass of its JSON: each known name in a field of
/// its own (no dictionary, no string per key), other names only checked for repeats.
private struct PayloadMembers {
    /// Every member name any ledger payload has.
    enum Name: String, CaseIterable {
        case account, owner, currency, overdraftLimit, amount, counterparty

        static let utf8 = allCases.map { Array($0.rawValue.utf8) }

        /// The name `key` spells, if it is one of these.
        init?(_ key: UnsafeBufferPointer<UInt8>) {
            guard let index = Self.utf8.firstIndex(where: { $0.elementsEqual(key) }) else { return nil }
            self = Self.allCases[index]
        }
    }

    private var account, owner, currency, overdraftLimit, amount, counterparty: FlatJSON.Value?

    /// Reads `json`.
    ///
    /// - Throws: ``Ledger/PayloadError/malformed`` unless it is one flat object with no repeated name.
    init(_ json: some Collection<UInt8>) throws {
        var others: [[UInt8]] = []  // names no payload has: ignored, but never twice
        try FlatJSON.parse(json) { key, value in
            if let name = Name(key) {
                guard self[name] == nil else { throw Ledger.PayloadError.malformed }
                self[name] = value
            } else {
                guard !others.contains(where: { $0.elementsEqual(key) }) else { throw Ledger.PayloadError.malformed }
                others.append(Array(key))
            }
        }
    }

    private subscript(name: Name) -> FlatJSON.Value? {
        get {
            switch name {
            case .account: account
            case .owner: owner
            case .currency: currency
            case .overdraftLimit: overdraftLimit
            case .amount: amount
            case .counterparty: counterparty
            }
        }
        set {
            switch name {
            case .account: account = newValue
            case .owner: owner = newValue
            case .currency: currency = newValue
            case .overdraftLimit: overdraftLimit = newValue
            case .amount: amount = newValue
            case .counterparty: counterparty = newValue
            }
        }
    }

    func string(_ name: Name) throws -> String {
        guard case .string(let value) = self[name] else { throw Ledger.PayloadError.missing(name.rawValue) }
        return value
    }

    /// The string member `name`, or `nil` if there is none.
    func optionalString(_ name: Name) throws -> String? {
        self[name] == nil ? nil : try string(name)
    }

    func integer(_ name: Name) throws -> Int64 {
        guard case .integer(let value) = self[name] else { throw Ledger.PayloadError.missing(name.rawValue) }
        return value
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
