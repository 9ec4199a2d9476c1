import Foundation
import Ledger
import TallyCore
import Testing

/// Decodes payloads from JSON bytes, as the store will.
struct JSONPayload: PayloadDecoder {
    let bytes: Data
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: bytes) }
}

@Suite("Ledger storage format")
struct LedgerEventFormatTests {
    // Events are the stored format: this test fails if a type name or a member is renamed.
    @Test(arguments: [
        (
            Ledger.Event.accountOpened(.init(account: "a-1", owner: "Ada", currency: "EUR", overdraftLimit: 500)),
            "accountOpened", #"{"account":"a-1","currency":"EUR","overdraftLimit":500,"owner":"Ada"}"#
        ),
        (.deposited(.init(account: "a-1", amount: 1250)), "deposited", #"{"account":"a-1","amount":1250}"#),
        (.withdrawn(.init(account: "a-1", amount: 50)), "withdrawn", #"{"account":"a-1","amount":50}"#),
        (
            .transferDebited(.init(account: "a-1", counterparty: "b-2", amount: 7)), "transferDebited",
            #"{"account":"a-1","amount":7,"counterparty":"b-2"}"#
        ),
        (
            .transferCredited(.init(account: "b-2", counterparty: "a-1", amount: 7)), "transferCredited",
            #"{"account":"b-2","amount":7,"counterparty":"a-1"}"#
        ),
        (.accountFrozen(.init(account: "a-1")), "accountFrozen", #"{"account":"a-1"}"#),
        (.accountUnfrozen(.init(account: "a-1")), "accountUnfrozen", #"{"account":"a-1"}"#),
        (.accountClosed(.init(account: "a-1")), "accountClosed", #"{"account":"a-1"}"#),
    ])
    func eachEventEncodesStablyAndDecodesBack(event: Ledger.Event, type: String, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(event.type == type)
        #expect(String(decoding: try encoder.encode(event.payload), as: UTF8.self) == json)
        #expect(String(decoding: event.payloadJSON, as: UTF8.self) == json)
        #expect(try Ledger.Event(type: type, payload: JSONPayload(bytes: Data(json.utf8))) == event)
    }

    @Test(arguments: [
        "Ada \"the Countess\" of Lovelace", "back\\slash/slash", "tab\tnew\nline\r\u{8}\u{C}", "bell\u{7}", "é 😀",
    ])
    func handWrittenPayloadsEscapeTextExactlyAsJSONEncoderDoes(owner: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let event = Ledger.Event.accountOpened(.init(account: "a", owner: owner, currency: "EUR", overdraftLimit: 0))
        #expect(event.payloadJSON == Array(try encoder.encode(event.payload)))
        #expect(try Ledger.Event(type: event.type, payload: JSONPayload(bytes: Data(event.payloadJSON))) == event)
    }

    @Test func everyTypeNameIsCoveredAndUnknownTypesAreNotLedgerEvents() throws {
        #expect(Ledger.Event.typeNames.count == 8)
        #expect(try Ledger.Event(type: "somethingElse", payload: JSONPayload(bytes: Data("{}".utf8))) == nil)
        #expect(throws: DecodingError.self) {
            try Ledger.Event(type: "deposited", payload: JSONPayload(bytes: Data(#"{"account":"a"}"#.utf8)))
        }
    }
}
