import Foundation
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

@Suite("Appending")
struct AppendTests {
    @Test func positionsAndRevisionsCountFromOneAndZeroWithoutGaps() async throws {
        try await withLog { log throws in
            let first = try await log.append(try event("account-1"), try event("account-1"))
            let second = try await log.append(try event("account-2"))
            let third = try await log.append(try event("account-1"))
            #expect(first.events.map(\.position) == [1, 2])
            #expect(first.events.map(\.revision) == [0, 1])
            #expect(second.events.map(\.position) == [3])
            #expect(second.events.map(\.revision) == [0])
            #expect(third.events.map(\.revision) == [2])
            #expect(third.streamRevisions == [try stream("account-1"): 2])
            #expect(third.checkpoint.size == 4)
            #expect(!third.isReplay)
            // The receipt carries the events exactly as stored: answering needs no read.
            #expect(first.events + second.events + third.events == (try log.read(from: 1, limit: 10).events))
            let head = try #require(try log.streamHead(try stream("account-1")))
            #expect(head.revision == 2)
            #expect(head.position == 4)
        }
    }

    @Test func storedEventsKeepExactlyWhatWasAppended() async throws {
        try await withLog { log throws in
            let id = UUID()
            let data = #"{ "amount" : 12.50, "note":"caf\u00e9" }"#
            let proposed = try event(
                "account-1", "deposited", id: id, tags: ["currency:EUR", "owner:ada"], data: data,
                metadata: #"{"actor":"ada"}"#)
            let before = Timestamp.now
            try await log.append(proposed)
            let stored = try #require(try log.event(at: 1))
            #expect(stored.id == id)
            #expect(stored.stream == proposed.stream)
            #expect(stored.type == "deposited")
            #expect(stored.tags == ["currency:EUR", "owner:ada"])
            #expect(Array(stored.data) == Array(data.utf8))
            #expect(Array(stored.metadata) == Array(#"{"actor":"ada"}"#.utf8))
            #expect(stored.recordedAt >= before && stored.recordedAt <= Timestamp.now)
            #expect(try log.event(at: 2) == nil)
        }
    }

    @Test(arguments: [
        (ExpectedRevision.any, true), (.noStream, true), (.exists, false), (.exact(0), false),
    ])
    func expectationsOnANewStream(expected: ExpectedRevision, accepted: Bool) async throws {
        try await withLog { log throws in
            let target = try stream("account-new")
            if accepted {
                #expect(try await log.append(try event("account-new"), expected: expected).events.count == 1)
            } else {
                await #expect(
                    throws: EventLogError.wrongExpectedRevision(stream: target, expected: expected, actual: nil)
                ) {
                    try await log.append(try event("account-new"), expected: expected)
                }
                #expect(try log.streamHead(target) == nil)
            }
        }
    }

    @Test(arguments: [
        (ExpectedRevision.any, true), (.noStream, false), (.exists, true), (.exact(1), true), (.exact(0), false),
        (.exact(2), false),
    ])
    func expectationsOnAStreamAtRevisionOne(expected: ExpectedRevision, accepted: Bool) async throws {
        try await withLog { log throws in
            let target = try stream("account-1")
            try await log.append(try event("account-1"), try event("account-1"))
            if accepted {
                #expect(try await log.append(try event("account-1"), expected: expected).events[0].revision == 2)
            } else {
                await #expect(
                    throws: EventLogError.wrongExpectedRevision(stream: target, expected: expected, actual: 1)
                ) {
                    try await log.append(try event("account-1"), expected: expected)
                }
                #expect(try log.treeHead().size == 2)
            }
        }
    }

    @Test func oneAppendWritesToSeveralStreamsAtomically() async throws {
        try await withLog { log throws in
            let debit = try event("account-a", "debited")
            let credit = try event("account-b", "credited")
            let receipt = try await log.append(
                AppendRequest(
                    events: [debit, credit], expectations: [debit.stream: .noStream, credit.stream: .noStream]))
            #expect(receipt.positions == 1...2)
            #expect(receipt.streamRevisions == [debit.stream: 0, credit.stream: 0])
        }
    }

    @Test func aRefusedConditionOnOneStreamWritesNothingOnAny() async throws {
        try await withLog { log throws in
            try await log.append(try event("account-b"))
            let before = try log.treeHead()
            let debit = try event("account-a", "debited")
            let credit = try event("account-b", "credited")
            await #expect(
                throws: EventLogError.wrongExpectedRevision(stream: credit.stream, expected: .noStream, actual: 0)
            ) {
                try await log.append(
                    AppendRequest(
                        events: [debit, credit], expectations: [debit.stream: .noStream, credit.stream: .noStream]))
            }
            #expect(try log.treeHead() == before)
            #expect(try log.streamHead(debit.stream) == nil)
            #expect(try log.streamHead(credit.stream)?.revision == 0)
            #expect(try log.read(filter: EventFilter(types: ["debited"])).events.isEmpty)
            // The refused ids were not recorded either: the same events can be appended later.
            try await log.append(AppendRequest(events: [debit]))
        }
    }

    @Test func anExpectationMayNameAStreamThatReceivesNoEvents() async throws {
        try await withLog { log throws in
            try await log.append(try event("policy-1"))
            let guarded = try event("account-1")
            await #expect(throws: EventLogError.self) {
                try await log.append(
                    AppendRequest(events: [guarded], expectations: [try stream("policy-1"): .exact(5)]))
            }
            try await log.append(AppendRequest(events: [guarded], expectations: [try stream("policy-1"): .exact(0)]))
        }
    }

    @Test func aDCBConditionRefusesWhenAMatchingEventCameAfterThePositionSeen() async throws {
        try await withLog { log throws in
            try await log.append(try event("course-1", "created", tags: ["course:1"]))
            try await log.append(try event("student-1", "registered", tags: ["student:1"]))
            let seen = try log.treeHead().size  // 2
            try await log.append(try event("student-2", "subscribed", tags: ["course:1", "student:2"]))
            let condition = AppendCondition(
                failIfEventsMatch: [EventFilter(types: ["subscribed"], tags: ["course:1"])], after: seen)
            await #expect(throws: EventLogError.appendConditionFailed(position: 3, after: 2)) {
                try await log.append(
                    AppendRequest(
                        events: [try event("student-1", "subscribed", tags: ["course:1"])], condition: condition))
            }
            #expect(try log.treeHead().size == 3)
            // Deciding again from the current position succeeds.
            let fresh = AppendCondition(failIfEventsMatch: condition.failIfEventsMatch, after: 3)
            let receipt = try await log.append(
                AppendRequest(events: [try event("student-1", "subscribed", tags: ["course:1"])], condition: fresh))
            #expect(receipt.positions == 4...4)
        }
    }

    @Test func aDCBConditionIgnoresEventsThatDoNotMatchEveryCriterionOfAnItem() async throws {
        try await withLog { log throws in
            try await log.append(try event("student-2", "subscribed", tags: ["course:2"]))
            try await log.append(try event("course-1", "renamed", tags: ["course:1"]))
            let condition = AppendCondition(
                failIfEventsMatch: [
                    EventFilter(types: ["subscribed"], tags: ["course:1"]), EventFilter(types: ["closed"]),
                ],
                after: 0)
            #expect(
                try await log.append(
                    AppendRequest(events: [try event("student-1", "subscribed")], condition: condition)
                ).positions == 3...3)
        }
    }

    @Test func anEmptyDCBQueryMatchesAnyLaterEvent() async throws {
        try await withLog { log throws in
            try await log.append(try event("a-1"))
            let condition = AppendCondition(failIfEventsMatch: [], after: 0)
            await #expect(throws: EventLogError.appendConditionFailed(position: 1, after: 0)) {
                try await log.append(AppendRequest(events: [try event("a-2")], condition: condition))
            }
            try await log.append(
                AppendRequest(events: [try event("a-2")], condition: AppendCondition(failIfEventsMatch: [], after: 1)))
        }
    }

    @Test func resendingAnAppendReturnsTheOriginalReceiptAndWritesNothing() async throws {
        try await withLog { log throws in
            let request = try AppendRequest(
                events: [try event("account-1", id: UUID()), try event("account-2", id: UUID())],
                expectations: [try stream("account-1"): .noStream])
            let original = try await log.append(request)
            try await log.append(try event("account-3"))
            let replayed = try await log.append(request)
            #expect(replayed.isReplay)
            #expect(replayed.events == original.events)
            #expect(replayed.streamRevisions == original.streamRevisions)
            #expect(replayed.checkpoint == original.checkpoint)
            #expect(try log.treeHead().size == 3)
        }
    }

    @Test func theSameIDWithDifferentContentIsAConflict() async throws {
        try await withLog { log throws in
            let id = UUID()
            try await log.append(try event("account-1", id: id, data: #"{"n":1}"#))
            await #expect(throws: EventLogError.idempotencyConflict(id: id)) {
                try await log.append(try event("account-1", id: id, data: #"{"n":2}"#))
            }
            await #expect(throws: EventLogError.idempotencyConflict(id: id)) {
                try await log.append(try event("account-2", id: id, data: #"{"n":1}"#))
            }
            #expect(try log.treeHead().size == 1)
        }
    }

    @Test func anAppendOnlyPartlyAlreadyInTheLogIsAConflict() async throws {
        try await withLog { log throws in
            let old = try event("account-1", id: UUID())
            try await log.append(old)
            let new = try event("account-1", id: UUID())
            await #expect(throws: EventLogError.idempotencyConflict(id: old.id)) {
                try await log.append(AppendRequest(events: [old, new]))
            }
            await #expect(throws: EventLogError.idempotencyConflict(id: old.id)) {
                try await log.append(AppendRequest(events: [new, old]))
            }
            #expect(try log.treeHead().size == 1)
        }
    }

    @Test func theLogSurvivesClosingAndReopening() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before: TreeHead
        do {
            let log = try EventLog(path: path)
            for index in 0..<10 { try await log.append(try event("account-\(index % 3)")) }
            before = try log.treeHead()
            log.close()
        }
        let log = try EventLog(path: path)
        defer { log.close() }
        #expect(try log.treeHead() == before)
        let receipt = try await log.append(try event("account-0"))
        #expect(receipt.events[0].position == 11)
        #expect(receipt.events[0].revision == 4)
    }

    @Test func aTinyMapGrowsInsteadOfFailing() async throws {
        var options = EventLog.Options()
        options.environment.mapSize = 256 << 10
        try await withLog(options: options) { log in
            let payload = "\"" + String(repeating: "x", count: 64 << 10) + "\""
            for index in 0..<40 { try await log.append(try event("big-\(index)", data: payload)) }
            let status = try log.status()
            #expect(status.treeHead.size == 40)
            #expect(status.mapSize > 256 << 10)
            #expect(try log.allEvents().map(\.data.count) == Array(repeating: payload.utf8.count, count: 40))
        }
    }

    @Test func aMapThatMayNotGrowFurtherReportsStorageFullAndLosesNothing() async throws {
        var options = EventLog.Options()
        options.environment.mapSize = 256 << 10
        options.maxMapSize = 256 << 10
        try await withLog(options: options) { log in
            try await log.append(try event("small-1"))
            let payload = "\"" + String(repeating: "x", count: 512 << 10) + "\""
            await #expect(throws: EventLogError.storageFull) { try await log.append(try event("big-1", data: payload)) }
            #expect(try log.treeHead().size == 1)
            #expect(try await log.append(try event("small-2")).positions == 2...2)
        }
    }

    @Test func appendsAfterCloseAreRefused() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try EventLog(path: path)
        log.close()
        await #expect(throws: EventLogError.closed) { try await log.append(try event("a-1")) }
    }

    @Test func aLogWrittenInANewerFormatIsRefused() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let log = try EventLog(path: path)
            log.close()
        }
        try overwriteFormatVersion(at: path, with: 99)
        #expect(throws: EventLogError.unsupportedFormat(version: 99)) { try EventLog(path: path) }
    }
}
