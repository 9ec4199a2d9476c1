import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerProjection
import NIOHTTP1
import TallyCore
import TallyLMDB
import TallyStore

extension Problem {
    /// The single mapping from Tally's errors to HTTP problems.
    ///
    /// Each error type Tally owns is switched exhaustively, so a new case does not compile until
    /// someone decides its status. Anything unknown is a 500 with no detail: internals never leak.
    package init(for error: any Error) {
        switch error {
        case let problem as Problem: self = problem
        case let rejection as Ledger.Rejection: self.init(rejection)
        case let error as EventLogError: self.init(error)
        case let error as EventValidationError: self.init(error)
        case let error as CommandRoutingError:
            switch error {
            case .unknownType(let type):
                self.init("unknown-command", "No such command type", .notFound, detail: "No command is named \(type).")
                extend("commandType", string: type)
            }
        case let error as CommandBodyError:
            switch error {
            case .notAnObject:
                self.init(
                    "invalid-command", "The command body is not valid", .badRequest,
                    detail: "The body must be a JSON object.")
            case .unknownMember(let member):
                self.init(
                    "invalid-command", "The command body is not valid", .badRequest,
                    detail: "The command has no member \(member).")
                extend("member", string: member)
            case .unreadable(let reason):
                self.init("invalid-body", "The request body is not valid", .badRequest, detail: reason)
            }
        case let error as DecodingError: self.init(decoding: error)
        case let error as LMDBError where error.kind == .mapFull:
            self.init("storage-full", "Storage is full", .insufficientStorage)
        case let error as LMDBError where error.kind == .readersFull:
            self.init("busy", "The server is busy", .serviceUnavailable)
            headers[.retryAfter] = "1"
        case let error as HTTPError: self.init(error)
        case let error as HTTPParserError:
            // The body's framing broke after the head was parsed (a malformed chunk): the client's fault.
            self.init(
                "invalid-body", "The request body is not valid", .badRequest,
                detail: "The body is not valid HTTP/1.1 framing (\(error.debugDescription)).")
        default:
            self.init("internal", "Internal error", .internalServerError)
        }
    }

    /// Every rejection is a 422: the command's endpoint exists and its body is well-formed, but the
    /// ledger's rules refuse it. `rule` names the broken rule; the rejection's data follows.
    private init(_ rejection: Ledger.Rejection) {
        func refuse(_ slug: String, _ rule: String, _ title: String, detail: String) -> Problem {
            var problem = Problem(slug, title, .unprocessableContent, detail: detail)
            problem.extend("rule", string: rule)
            return problem
        }
        switch rejection {
        case .unknownAccount(let account):
            self = refuse(
                "unknown-account", "unknownAccount", "No such account", detail: "No account has id \(account).")
            extend("account", string: account)
        case .accountExists(let account):
            self = refuse(
                "account-exists", "accountExists", "The account already exists", detail: "Account \(account) exists.")
            extend("account", string: account)
        case .insufficientFunds(let account, let available, let requested):
            self = refuse(
                "insufficient-funds", "insufficientFunds", "Insufficient funds",
                detail: "Account \(account) has \(available) available; \(requested) was requested.")
            extend("account", string: account)
            extend("available", integer: available)
            extend("requested", integer: requested)
        case .currencyMismatch(let from, let to):
            self = refuse(
                "currency-mismatch", "currencyMismatch", "The accounts' currencies differ",
                detail: "Cannot move \(from) into an account held in \(to).")
            extend("fromCurrency", string: from)
            extend("toCurrency", string: to)
        case .accountFrozen(let account):
            self = refuse(
                "account-frozen", "accountFrozen", "The account is frozen", detail: "Account \(account) is frozen.")
            extend("account", string: account)
        case .accountClosed(let account):
            self = refuse(
                "account-closed", "accountClosed", "The account is closed", detail: "Account \(account) is closed.")
            extend("account", string: account)
        case .sameAccount(let account):
            self = refuse(
                "same-account", "sameAccount", "A transfer needs two accounts",
                detail: "Account \(account) cannot transfer to itself.")
            extend("account", string: account)
        case .nonPositiveAmount(let amount):
            self = refuse(
                "non-positive-amount", "nonPositiveAmount", "Amounts must be positive", detail: "Got \(amount).")
            extend("amount", integer: amount)
        case .nonZeroBalance(let account, let balance):
            self = refuse(
                "non-zero-balance", "nonZeroBalance", "Only an account at zero balance may close",
                detail: "Account \(account) holds \(balance).")
            extend("account", string: account)
            extend("balance", integer: balance)
        case .invalidCurrency(let currency):
            self = refuse(
                "invalid-currency", "invalidCurrency", "Not an ISO 4217 currency",
                detail: "\(currency) is not an active ISO 4217 code.")
            extend("currency", string: currency)
        case .invalidAccountID(let account):
            self = refuse(
                "invalid-account-id", "invalidAccountID", "Not a valid account id",
                detail: "Account ids are 1–64 characters of A–Z a–z 0–9 - _ .")
            extend("account", string: account)
        case .invalidOwner:
            self = refuse("invalid-owner", "invalidOwner", "Not a valid owner", detail: "Owners are 1–200 bytes.")
        case .negativeOverdraftLimit(let limit):
            self = refuse(
                "negative-overdraft-limit", "negativeOverdraftLimit", "Overdraft limits are zero or more",
                detail: "Got \(limit).")
            extend("overdraftLimit", integer: limit)
        case .balanceOverflow(let account):
            self = refuse(
                "balance-overflow", "balanceOverflow", "The balance would overflow",
                detail: "Account \(account)'s balance would exceed what 64 bits of minor units hold.")
            extend("account", string: account)
        }
    }

    private init(_ error: EventLogError) {
        switch error {
        case .wrongExpectedRevision(let stream, let expected, let actual):
            self.init(
                "wrong-expected-revision", "The stream is not at the expected revision", .conflict,
                detail: "Stream \(stream.rawValue) is \(actual.map { "at revision \($0)" } ?? "empty").")
            extend("stream", string: stream.rawValue)
            extend("expectedRevision") { json in json.write(expected) }
            extend("actualRevision") { json in
                if let actual { json.integer(actual) } else { json.null() }
            }
        case .appendConditionFailed(let position, let after):
            self.init(
                "append-condition-failed", "An event matching the append condition exists", .conflict,
                detail: "The event at position \(position) matches the condition and follows position \(after).")
            extend("position", integer: position)
            extend("after", integer: after)
        case .idempotencyConflict(let id):
            self.init(
                "idempotency-conflict", "The id was used for something else", .conflict,
                detail: "\(id.uuidString.lowercased()) was already used with different content.")
            extend("id", string: id.uuidString.lowercased())
        case .treeTooSmall(let size, let requested):
            self.init(
                "tree-too-small", "The log is not that long", .notFound,
                detail: "The log holds \(size) events; \(requested) were asked for.")
            extend("size", integer: size)
        case .positionNotInTree(let position, let treeSize):
            self.init(
                "position-not-in-tree", "The position is not in that tree", .notFound,
                detail: "A tree of \(treeSize) events holds positions 1 to \(treeSize); \(position) was asked for.")
            extend("position", integer: position)
            extend("treeSize", integer: treeSize)
        case .treeSizesOutOfOrder(let oldSize, let newSize):
            self.init(
                "tree-sizes-out-of-order", "The old tree is larger than the new one", .unprocessableContent,
                detail: "A consistency proof leads from a tree to a larger one; \(oldSize) is larger than \(newSize).")
            extend("oldSize", integer: oldSize)
            extend("newSize", integer: newSize)
        case .checkpointNotFound(let size):
            self.init(
                "checkpoint-not-found", "No checkpoint of that size", .notFound,
                detail: size.map { "No checkpoint was signed at tree size \($0)." } ?? "No checkpoint was signed yet.")
            if let size { extend("size", integer: size) }
        case .unknownProjection(let name):
            self.init("unknown-projection", "No such projection", .notFound, detail: "No projection is named \(name).")
        case .inlineProjectionNotRebuildable(let name):
            self.init(
                "projection-not-rebuildable", "Inline projections are rebuilt only at start-up", .conflict,
                detail:
                    "\(name) is inline: commands decide from it, so it is rebuilt when its version changes, at open.")
        case .noSuchDeadLetter(let projector, let position):
            self.init(
                "no-such-dead-letter", "No such dead letter", .notFound,
                detail: "\(projector) has no dead letter at position \(position).")
        case .streamNotFound(let stream):
            self.init(
                "stream-not-found", "No such stream", .notFound, detail: "Stream \(stream.rawValue) has no events.")
            extend("stream", string: stream.rawValue)
        case .eventNotFound(let position):
            self.init(
                "event-not-found", "No such event", .notFound, detail: "The log holds no event at position \(position)."
            )
            extend("position", integer: position)
        case .notErasable(let position, let reason):
            self.init(
                "not-erasable", "The event cannot be erased as asked", .unprocessableContent,
                detail: "The event at position \(position) cannot be erased as asked: \(reason).")
            extend("position", integer: position)
        case .erasureRefused(let projector, let position, let reason):
            self.init(
                "erasure-refused", "A read model cannot do without that data", .unprocessableContent,
                detail: "Nothing was erased: \(reason) (projection \(projector), position \(position)).")
            extend("projection", string: projector)
            extend("position", integer: position)
        case .overloaded:
            self.init("overloaded", "Too many writes are waiting", .serviceUnavailable, detail: "Retry shortly.")
            headers[.retryAfter] = "1"
        case .storageFull:
            self.init(
                "storage-full", "Storage is full", .insufficientStorage,
                detail: "Nothing of this request was written; free disk space or raise the map limit.")
        case .closed:
            self.init("shutting-down", "The server is shutting down", .serviceUnavailable)
            headers[.retryAfter] = "5"
        case .unsupportedFormat, .corrupted, .inUse:
            self.init("internal", "Internal error", .internalServerError)
        }
    }

    private init(_ error: EventValidationError) {
        self.init(
            "invalid-event", "The event is not valid", .unprocessableContent, detail: error.sentence)
        extend("field", string: error.field.rawValue)
        extend("reason", string: error.reasonCode)
        if let index = error.eventIndex { extend("eventIndex", integer: index) }
    }

    private init(decoding error: DecodingError) {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        let pointer = "/" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
        let detail: String =
            switch error {
            case .keyNotFound: "\(pointer) is required."
            case .typeMismatch, .valueNotFound: "\(pointer) has the wrong type."
            default: "The body is not valid JSON."
            }
        self.init("invalid-body", "The request body is not valid", .badRequest, detail: detail)
        extend("pointer", string: pointer)
    }

    private init(_ error: HTTPError) {
        switch error.status {
        case .contentTooLarge:
            self.init("body-too-large", "The request body is too large", .contentTooLarge, detail: error.body)
        case .notFound:
            self.init("not-found", "No such resource", .notFound)
        default:
            self.init(
                "http-\(error.status.code)", error.status.reasonPhrase, error.status,
                detail: error.status.code < 500 ? error.body : nil)
        }
    }
}

extension EventValidationError {
    /// The reason as a stable camelCase code, for clients to match on.
    fileprivate var reasonCode: String {
        switch reason {
        case .empty: "empty"
        case .tooLong: "tooLong"
        case .invalidUTF8: "invalidUTF8"
        case .controlCharacter: "controlCharacter"
        case .invalidJSON: "invalidJSON"
        case .duplicateKey: "duplicateKey"
        case .tooDeep: "tooDeep"
        case .notAnObject: "notAnObject"
        case .duplicateID: "duplicateID"
        case .reserved: "reserved"
        }
    }

    /// The refusal in words.
    fileprivate var sentence: String {
        let subject = eventIndex.map { "Event \($0): \(field.rawValue)" } ?? field.rawValue
        switch reason {
        case .empty: return "\(subject) must not be empty."
        case .tooLong(let max): return "\(subject) is longer than \(max)."
        case .invalidUTF8: return "\(subject) is not valid UTF-8."
        case .controlCharacter: return "\(subject) holds a control character."
        case .invalidJSON(let offset): return "\(subject) is not valid JSON (at byte \(offset))."
        case .duplicateKey(let key): return "\(subject) repeats the member \(key)."
        case .tooDeep(let max): return "\(subject) nests deeper than \(max)."
        case .notAnObject: return "\(subject) must be a JSON object."
        case .duplicateID: return "\(subject) repeats an id used earlier in the append."
        case .reserved:
            return "\(subject) names one of Tally's own streams (they start with $), which only Tally appends to."
        }
    }
}

extension JSONWriter {
    /// Writes an expected revision as clients send it: `"any"`, `"noStream"`, `"exists"` or a number.
    mutating func write(_ expected: ExpectedRevision) {
        switch expected {
        case .any: string("any")
        case .noStream: string("noStream")
        case .exists: string("exists")
        case .exact(let revision): integer(revision)
        }
    }
}

extension Problem {
    /// A 400 problem for a body that is not one valid JSON value.
    static func invalidBody(_ error: any Error) -> Problem {
        guard let error = error as? EventValidationError else {
            return Problem("invalid-body", "The request body is not valid", .badRequest)
        }
        var problem = Problem("invalid-body", "The request body is not valid", .badRequest)
        switch error.reason {
        case .tooDeep(let max): problem.detail = "The body nests deeper than \(max) levels."
        case .duplicateKey(let key): problem.detail = "The body repeats the member \(key)."
        case .invalidUTF8: problem.detail = "The body is not valid UTF-8."
        case .invalidJSON(let offset): problem.detail = "The body is not valid JSON (at byte \(offset))."
        default: problem.detail = "The body is not valid JSON."
        }
        return problem
    }
}
