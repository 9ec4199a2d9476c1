import Foundation
import TallyStore
import Testing

@Suite("Input validation")
struct ValidationTests {
    @Test(arguments: [
        ("", EventValidationError(.stream, .empty)),
        (String(repeating: "s", count: 201), EventValidationError(.stream, .tooLong(max: 200))),
        ("account\u{0}1", EventValidationError(.stream, .controlCharacter)),
        ("account\n1", EventValidationError(.stream, .controlCharacter)),
        ("account\u{7F}", EventValidationError(.stream, .controlCharacter)),
    ])
    func badStreamNamesAreRefusedWithTheirRule(name: String, error: EventValidationError) {
        #expect(throws: error) { try StreamID(name) }
    }

    @Test func streamNamesMayBeAnyPrintableUTF8UpTo200Bytes() throws {
        #expect(try StreamID(String(repeating: "é", count: 100)).rawValue.utf8.count == 200)
        #expect(try StreamID("account-7f3c").category == "account")
        #expect(try StreamID("standalone").category == "standalone")
        #expect(try StreamID("-leading-dash").category == "-leading-dash")
    }

    @Test func streamNamesFromBytesMustBeValidUTF8() {
        #expect(throws: EventValidationError(.stream, .invalidUTF8)) { try StreamID(utf8: [0x61, 0xFF]) }
    }

    @Test func streamNamesAreComparedByteForByteWithoutNormalization() throws {
        let composed = try StreamID("caf\u{E9}")
        let decomposed = try StreamID("cafe\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(try StreamID("caf\u{E9}") == composed)
        // Byte order, as LMDB sorts keys: `e` (0x65) before `é`'s first byte (0xC3); a prefix first.
        #expect(decomposed < composed && !(composed < decomposed) && !(composed < composed))
        let names = try ["b", "a-10", "a", "a-1", "ab"].map(StreamID.init).sorted().map(\.rawValue)
        #expect(names == ["a", "a-1", "a-10", "ab", "b"])
    }

    @Test(arguments: [
        ("", EventValidationError.Field.type, EventValidationError.Reason.empty),
        (String(repeating: "t", count: 201), .type, .tooLong(max: 200)),
        ("dep\tosited", .type, .controlCharacter),
    ])
    func badEventTypesAreRefused(type: String, field: EventValidationError.Field, reason: EventValidationError.Reason) {
        #expect(throws: EventValidationError(field, reason)) { try event("s-1", type) }
    }

    @Test func badTagsAreRefused() {
        #expect(throws: EventValidationError(.tag, .empty)) { try event("s-1", tags: [""]) }
        #expect(throws: EventValidationError(.tag, .controlCharacter)) { try event("s-1", tags: ["a\u{1}"]) }
        #expect(throws: EventValidationError(.tag, .tooLong(max: 32))) {
            try event("s-1", tags: (0..<33).map { "tag-\($0)" })
        }
    }

    @Test func repeatedTagsAreKeptOnceInTheirFirstOrder() throws {
        #expect(try event("s-1", tags: ["b", "a", "b"]).tags == ["b", "a"])
    }

    @Test(arguments: [
        (#"{"a":1"#, EventValidationError.Reason.invalidJSON(offset: 6)),
        (#"{"a":1,}"#, .invalidJSON(offset: 7)),
        (#"{'a':1}"#, .invalidJSON(offset: 1)),
        ("01", .invalidJSON(offset: 1)),
        ("1.", .invalidJSON(offset: 2)),
        ("-", .invalidJSON(offset: 1)),
        ("tru", .invalidJSON(offset: 0)),
        (#"{"a":1} x"#, .invalidJSON(offset: 8)),
        ("\"tab\there\"", .invalidJSON(offset: 4)),
        (#""\x""#, .invalidJSON(offset: 3)),
        (#""\u12G4""#, .invalidJSON(offset: 5)),
        (#"{"a":1,"a":2}"#, .duplicateKey("a")),
        (#"{"a":{"b":1},"\u0061":2}"#, .duplicateKey("a")),
        (#""\udc00""#, .invalidUTF8),
        (#""\ud800x""#, .invalidUTF8),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), .tooDeep(max: 64)),
    ])
    func badJSONDataIsRefusedWithTheReason(json: String, reason: EventValidationError.Reason) {
        #expect(throws: EventValidationError(.data, reason)) { try event("s-1", data: json) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
    ])
    func invalidUTF8InsideJSONStringsIsRefused(bytes: [UInt8]) {
        #expect(throws: EventValidationError(.data, .invalidUTF8)) {
            try ProposedEvent(stream: StreamID("s-1"), type: "t", data: bytes)
        }
    }

    @Test(arguments: [
        #"{"a":[1,2.5e-3,-0,true,false,null,"x\n\u00e9\ud83d\ude00"],"b":{}}"#, "[]", "0", "\"\"", " 1 ",
        #"{"a":{"a":1}}"#, #"{"é":1,"e\u0301":2}"#,
        String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
    ])
    func validJSONIsAcceptedAndKeptByteForByte(json: String) throws {
        #expect(try event("s-1", data: json).data == Array(json.utf8))
    }

    @Test func emptyDataIsRefused() {
        #expect(throws: EventValidationError(.data, .empty)) { try event("s-1", data: "") }
    }

    @Test func metadataMustBeAJSONObjectAndDefaultsToAnEmptyOne() throws {
        #expect(throws: EventValidationError(.metadata, .notAnObject)) { try event("s-1", metadata: "[1]") }
        #expect(throws: EventValidationError(.metadata, .duplicateKey("k"))) {
            try event("s-1", metadata: #"{"k":1,"k":1}"#)
        }
        #expect(try event("s-1").metadata == Array("{}".utf8))
    }

    @Test func oversizedPayloadsAreRefused() {
        let big = "\"" + String(repeating: "x", count: ProposedEvent.maxPayloadBytes) + "\""
        #expect(throws: EventValidationError(.data, .tooLong(max: ProposedEvent.maxPayloadBytes))) {
            try event("s-1", data: big)
        }
        #expect(throws: EventValidationError(.metadata, .tooLong(max: ProposedEvent.maxPayloadBytes))) {
            try event("s-1", metadata: "{\"k\":" + big + "}")
        }
    }

    @Test func anAppendNeedsEventsWithDistinctIDs() throws {
        #expect(throws: EventValidationError(.events, .empty)) { try AppendRequest(events: []) }
        let id = UUID()
        #expect(throws: EventValidationError(.id, .duplicateID, eventIndex: 1)) {
            try AppendRequest(events: [try event("s-1", id: id), try event("s-2", id: id)])
        }
        let many = try (0...AppendRequest.maxEvents).map { _ in try event("s-1") }
        #expect(throws: EventValidationError(.events, .tooLong(max: AppendRequest.maxEvents))) {
            try AppendRequest(events: many)
        }
    }
}
