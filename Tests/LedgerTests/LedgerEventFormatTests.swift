import Foundation
import Ledger
import Testing

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
        #expect(try Ledger.Event(type: type, json: Array(json.utf8)) == event)
    }

    @Test(arguments: [
        "Ada \"the Countess\" of Lovelace", "back\\slash/slash", "tab\tnew\nline\r\u{8}\u{C}", "bell\u{7}", "é 😀",
    ])
    func handWrittenPayloadsEscapeTextExactlyAsJSONEncoderDoes(owner: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let event = Ledger.Event.accountOpened(.init(account: "a", owner: owner, currency: "EUR", overdraftLimit: 0))
        #expect(event.payloadJSON == Array(try encoder.encode(event.payload)))
        #expect(try Ledger.Event(type: event.type, json: event.payloadJSON) == event)
    }

    @Test func everyTypeNameIsCoveredAndUnknownTypesAreNotLedgerEvents() throws {
        #expect(Ledger.Event.typeNames.count == 8)
        #expect(try Ledger.Event(type: "somethingElse", json: Array("{}".utf8)) == nil)
    }

    @Test(arguments: [
        (#"{"account":"a"}"#, Ledger.PayloadError.missing("amount")),
        (#"{"account":"a","amount":"7"}"#, .missing("amount")),
        (#"{"account":"a","amount":1.5}"#, .malformed),
        (#"{"account":"a","amount":99999999999999999999}"#, .malformed),
        (#"{"account":"a","amount":{"n":1}}"#, .malformed),
        (#"{"account":"a","amount":7} trailing"#, .malformed),
        (#"["account"]"#, .malformed),
        (#"{"account":"a\q","amount":7}"#, .malformed),
        (#"{"account":"a","amount":-}"#, .malformed),
        (#"{"account":"a","amount":}"#, .malformed),
        (#"{"account":"a","amount":9223372036854775808}"#, .malformed),
        (#"{"account":"a","amount":-9223372036854775809}"#, .malformed),
        (#"{"account":"a","amount":1e3}"#, .malformed),
        (#"{"account":"a","amount":7,"amount":8}"#, .malformed),
        (#"{"account":"a","amount":7"#, .malformed),
        (#"{"account":"a,"amount":7}"#, .malformed),
    ])
    func payloadsThatDoNotFitTheirTypeAreRefused(json: String, error: Ledger.PayloadError) {
        #expect(throws: error) { try Ledger.Event(type: "deposited", json: Array(json.utf8)) }
    }

    @Test(arguments: [Int64.max, Int64.min, 0, -1])
    func integersReadBackExactlyToTheEndsOfInt64(amount: Int64) throws {
        #expect(
            try Ledger.Event(type: "withdrawn", json: Array(#"{"account":"a","amount":\#(amount)}"#.utf8))
                == .withdrawn(.init(account: "a", amount: amount)))
    }

    @Test func payloadsMayBeSpacedReorderedAndEscapedAsJSONAllows() throws {
        let json = #" { "amount" : -3 , "account" : "caf\u00e9 \ud83d\ude00 \"q\"" } "#
        #expect(
            try Ledger.Event(type: "withdrawn", json: Array(json.utf8))
                == .withdrawn(.init(account: "café 😀 \"q\"", amount: -3)))
    }
}
