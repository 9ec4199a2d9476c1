import Crypto
import Foundation
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

/// Erasure replaces an event's data by a tombstone and keeps every proof valid.
@Suite struct ErasureTests {
    /// Ten events in two streams (`person-1` with data `{"name":"Ada <n>","age":<n>}`, `other`),
    /// then the tree head an auditor pinned before any erasure.
    private func seeded(_ log: EventLog) async throws -> TreeHead {
        for index in 1...10 {
            let streamName = index % 2 == 1 ? "person-1" : "other"
            try await log.append(
                try event(
                    streamName, "noted", tags: ["subject-1"], data: #"{"name":"Ada \#(index)","age":\#(index)}"#,
                    metadata: #"{"m":\#(index)}"#))
        }
        return try log.treeHead()
    }

    private func request(_ positions: [UInt64], fields: [String]? = nil) throws -> ErasureRequest {
        try ErasureRequest(
            positions: positions, fields: fields, reason: "GDPR request 42", metadata: Array(#"{"actor":"dpo"}"#.utf8))
    }

    @Test func erasingDataLeavesATombstoneAndEveryProofStillVerifies() async throws {
        try await withLog { log in
            let pinned = try await seeded(log)
            let before = try #require(try log.event(at: 3))
            let result = try await log.erase(try request([3, 5]))
            let receipt = try #require(result.receipt)
            #expect(result.erased == [3, 5])
            #expect(result.unchanged.isEmpty)
            #expect(receipt.events.map(\.position) == [11])
            #expect(receipt.events.map(\.stream) == [.erasures])

            let erased = try #require(try log.event(at: 3))
            #expect(String(decoding: erased.data, as: UTF8.self) == "null")
            #expect(erased.erasure == Erasure(dataDigest: Array(SHA256.hash(data: before.data)), erasedBy: 11))
            #expect(erased.metadata.elementsEqual(before.metadata))
            #expect(erased.leafHash == before.leafHash)
            #expect(try log.event(at: 4)?.erasure == nil)

            // The tree up to the pinned size is unchanged; the erasure event is one more leaf.
            let head = try log.treeHead()
            #expect(head.size == 11)
            #expect(try log.treeHead(size: pinned.size) == pinned)
            try log.consistencyProof(from: pinned.size, to: head.size).verify(from: pinned, to: head)
            for position in [3, 5, 11] as [UInt64] {
                let leaf = try #require(try log.event(at: position)).leafHash
                try log.inclusionProof(position: position, treeSize: head.size).verify(leafHash: leaf, against: head)
            }
            #expect(try log.verify(against: pinned).head == head)

            // Every read shows the erasure and where it is recorded.
            let json = String(decoding: erased.json, as: UTF8.self)
            #expect(json.contains(#""data":null,"erasure":{"erasedBy":11,"dataDigest":""#))
        }
    }

    @Test func theErasureIsRecordedWithWhatWhyAndWho() async throws {
        try await withLog { log in
            _ = try await seeded(log)
            try await log.erase(try request([7, 1], fields: ["name"]))
            let record = try #require(try log.readStream(.erasures).events.first)
            #expect(record.type == "eventsErased")
            #expect(
                String(decoding: record.data, as: UTF8.self)
                    == #"{"positions":[1,7],"fields":["name"],"reason":"GDPR request 42"}"#)
            #expect(String(decoding: record.metadata, as: UTF8.self) == #"{"actor":"dpo"}"#)
        }
    }

    @Test func erasingFieldsKeepsTheRestOfTheObject() async throws {
        try await withLog { log in
            let pinned = try await seeded(log)
            try await log.erase(try request([1], fields: ["name", "absent"]))
            let erased = try #require(try log.event(at: 1))
            #expect(String(decoding: erased.data, as: UTF8.self) == #"{"age":1}"#)
            #expect(erased.erasure?.erasedBy == 11)
            // Erasing the rest later keeps the digest of the data as appended.
            let whole = try await log.erase(try request([1]))
            let again = try #require(try log.event(at: 1))
            #expect(String(decoding: again.data, as: UTF8.self) == "null")
            #expect(again.erasure?.dataDigest == erased.erasure?.dataDigest)
            #expect(again.erasure?.erasedBy == whole.receipt?.events.first?.position)
            #expect(try log.verify(against: pinned).head.size == 12)
        }
    }

    @Test func erasingWhatIsAlreadyErasedWritesNothing() async throws {
        try await withLog { log in
            _ = try await seeded(log)
            try await log.erase(try request([3]))
            let head = try log.treeHead()
            for fields in [nil, ["name"]] as [[String]?] {
                let result = try await log.erase(try request([3], fields: fields))
                #expect(result.receipt == nil)
                #expect(result.erased.isEmpty)
                #expect(result.unchanged == [3])
            }
            let partly = try await log.erase(try request([5], fields: ["nickname"]))
            #expect(partly.receipt == nil)
            #expect(partly.unchanged == [5])
            #expect(try log.treeHead() == head)
        }
    }

    @Test func aRefusedErasureErasesNothing() async throws {
        try await withLog { log in
            _ = try await seeded(log)
            try await log.append(try event("list", data: "[1,2]"))  // position 11: data not an object
            try await log.erase(try request([2]))  // position 12: the erasure record
            let head = try log.treeHead()
            await #expect(throws: EventLogError.eventNotFound(position: 99)) {
                try await log.erase(try request([1, 99]))
            }
            await #expect(
                throws: EventLogError.notErasable(position: 12, reason: "the record of an erasure is kept whole")
            ) {
                try await log.erase(try request([1, 12]))
            }
            await #expect(
                throws: EventLogError.notErasable(position: 11, reason: "its data is not an object: erase it whole")
            ) {
                try await log.erase(try request([1, 11], fields: ["name"]))
            }
            #expect(try log.treeHead() == head)
            #expect(try log.event(at: 1)?.erasure == nil)
            #expect(try await log.erase(try request([11])).erased == [11])  // whole: fine
        }
    }

    @Test(arguments: [
        ([] as [UInt64], nil as [String]?, "GDPR", "positions must name at least one event"),
        ([0], nil, "GDPR", "positions start at 1"),
        (Array(1...1001), nil, "GDPR", "at most 1000 positions per erasure"),
        ([1], [], "GDPR", "fields, when given, must name at least one member"),
        ([1], ["a", "a"], "GDPR", "fields holds a duplicate"),
        ([1], [""], "GDPR", "each field is a member name of 1-200 bytes"),
        ([1], nil, "", "reason must be 1-1000 bytes of text without control characters"),
        ([1], nil, "line\nbreak", "reason must be 1-1000 bytes of text without control characters"),
    ])
    func aMalformedRequestIsRefusedBeforeTheWriter(
        positions: [UInt64], fields: [String]?, reason: String, message: String
    )
        throws
    {
        let error = #expect(throws: InvalidErasure.self) {
            try ErasureRequest(positions: positions, fields: fields, reason: reason)
        }
        #expect(error?.message == message)
    }

    @Test func clientsCannotAppendToTheLogsOwnStreams() throws {
        #expect(throws: EventValidationError(.stream, .reserved, eventIndex: 0)) {
            try AppendRequest(events: [try event("$erasures", data: "{}")])
        }
    }

    @Test func theOriginalEventResentAfterItsErasureIsStillTheSameEvent() async throws {
        try await withLog { log in
            let id = UUID()
            let original = try event("person-2", id: id, data: #"{"name":"Bo"}"#)
            let first = try await log.append(original)
            try await log.erase(try request([1]))
            let again = try await log.append(original)
            #expect(again.isReplay)
            #expect(again.events.map(\.position) == first.events.map(\.position))
            // The replayed receipt shows the event as it is stored now: erased.
            #expect(again.events.map(\.erasure?.erasedBy) == [2])
            #expect(again.events.map { Array($0.data) } == [Array("null".utf8)])
            await #expect(throws: EventLogError.idempotencyConflict(id: id)) {
                try await log.append(try event("person-2", id: id, data: #"{"name":"Other"}"#))
            }
        }
    }

    @Test func anExportedErasedLogImportsToTheSameTree() async throws {
        try await withLog { log in
            _ = try await seeded(log)
            try await log.erase(try request([2, 4], fields: ["name"]))
            try await log.erase(try request([4, 9]))
            let exported = try log.allEvents().map { try ExportedEvent(json: $0.json) }
            #expect(exported[3].leafHash == (try log.event(at: 4))?.leafHash)
            try await withLog { copy in
                try await copy.restore(exported)
                #expect(try copy.treeHead() == (try log.treeHead()))
                #expect(try copy.allEvents() == (try log.allEvents()))
                // Resuming an import compares the erased events byte for byte too.
                try await copy.restore(exported)
            }
        }
    }

    @Test func anExportLineWithABadErasureIsRefused() throws {
        let line =
            #"{"position":1,"stream":"s","revision":0,"id":"7b0c5d36-3f0e-4a4e-9d5a-6a1b2c3d4e5f","type":"t","tags":[],"data":null,"erasure":{"erasedBy":2,"dataDigest":"abc"},"metadata":{},"recordedAt":"2026-11-27T14:05:09.123456Z"}"#
        #expect(throws: ImportError.self) { try ExportedEvent(json: Array(line.utf8)) }
    }

    @Test func aChangedTombstoneDigestIsCaught() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pinned: TreeHead
        do {
            let log = try EventLog(path: path)
            defer { log.close() }
            _ = try await seeded(log)
            try await log.erase(try request([6]))
            pinned = try log.treeHead()
        }
        try flipTombstoneDigest(at: 6, in: path)
        let log = try ReadOnlyLog(path: path)
        defer { log.close() }
        #expect(throws: VerificationFailure.leafMismatch(position: 6)) { try log.verify(against: pinned) }
    }

    /// Flips the last byte of the digest in the tombstone of the (wholly erased) event at `position`.
    private func flipTombstoneDigest(at position: UInt64, in path: String) throws {
        let environment = try Environment(path: path)
        defer { environment.close() }
        let events = try #require(try environment.openDatabase("events"))
        try environment.write { txn in
            var record = try #require(try txn.value(forKey: position.bigEndianBytes, in: events))
            // The data field: marker 0x00, digest (32), erasure position (8), then `null`.
            let marker = try #require(
                (0..<record.count - 44).first {
                    record[$0] == 0x00 && record[$0 + 41..<$0 + 45].elementsEqual("null".utf8)
                })
            record[marker + 32] ^= 0x01
            try txn.put(record, forKey: position.bigEndianBytes, in: events)
        }
    }
}

/// A projector that folds every event and does not say how to forget.
private struct Counting: Projector {
    let name = "counting"
    let version = 1
    let eventTypes: Set<String> = ["noted"]

    func apply(_ events: [RecordedEvent], to table: ProjectionTable, in txn: borrowing WriteTransaction) throws {
        for event in events { try table.put(Array(event.data), forKey: event.position.bigEndianBytes, in: txn) }
    }
}

@Suite struct ErasureRefusalTests {
    @Test(arguments: [true, false])
    func aProjectorThatCannotForgetRefusesTheWholeErasure(inline: Bool) async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try EventLog(
            path: path, inlineProjectors: inline ? [Counting()] : [], asyncProjectors: inline ? [] : [Counting()])
        defer { log.close() }
        try await log.append(try event("person-1", "noted", data: #"{"name":"Ada"}"#))
        try await log.append(try event("other", "ignored", data: #"{"name":"Bo"}"#))
        let head = try log.treeHead()
        await #expect(
            throws: EventLogError.erasureRefused(
                projector: "counting", position: 1, reason: "counting does not say how to forget erased noted data")
        ) {
            try await log.erase(try ErasureRequest(positions: [2, 1], reason: "GDPR"))
        }
        #expect(try log.treeHead() == head)
        #expect(try log.event(at: 2)?.erasure == nil)
        // An event the projector does not want is erased without asking it.
        #expect(try await log.erase(try ErasureRequest(positions: [2], reason: "GDPR")).erased == [2])
    }
}
