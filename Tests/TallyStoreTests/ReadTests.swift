import Foundation
import TallyStore
import TallyVerify
import Testing

/// A log of 30 events over streams `account-0…2` and `order-0…1`, with types and tags that vary
/// by position: even positions are `deposited`, odd `withdrawn`; every third carries tag `big`.
func withMixedLog(_ body: (EventLog) async throws -> Void) async throws {
    try await withLog { log throws in
        for position in 1...30 {
            let streamName = position % 5 < 3 ? "account-\(position % 5)" : "order-\(position % 5 - 3)"
            let type = position % 2 == 0 ? "deposited" : "withdrawn"
            let tags = position % 3 == 0 ? ["big", "p\(position)"] : ["p\(position)"]
            try await log.append(try event(streamName, type, tags: tags, data: #"{"p":\#(position)}"#))
        }
        try await body(log)
    }
}

/// Reads every page of a filtered log read in `direction`, returning positions and the number of pages.
func pagedPositions(
    _ log: EventLog, filter: EventFilter, direction: ReadDirection, pageSize: Int, from: UInt64? = nil
) throws -> (positions: [UInt64], pages: Int) {
    var positions: [UInt64] = []
    var pages = 0
    var start = from
    repeat {
        let page = try log.read(from: start, direction: direction, limit: pageSize, filter: filter)
        positions += page.events.map(\.position)
        pages += 1
        start = page.next
    } while start != nil
    return (positions, pages)
}

@Suite("Reading")
struct ReadTests {
    @Test func theWholeLogReadsForwardAndBackwardInPages() async throws {
        try await withMixedLog { log throws in
            let forward = try pagedPositions(log, filter: .all, direction: .forward, pageSize: 7)
            #expect(forward.positions == Array(1...30))
            #expect(forward.pages == 5)
            let backward = try pagedPositions(log, filter: .all, direction: .backward, pageSize: 7)
            #expect(backward.positions == Array((1...30).reversed()))
            let middle = try log.read(from: 10, direction: .backward, limit: 3)
            #expect(middle.events.map(\.position) == [10, 9, 8])
            #expect(middle.next == 7)
            #expect(middle.head == 30)
        }
    }

    @Test func readingPastTheEndOrWithNoRoomGivesAnEmptyFinalPage() async throws {
        try await withMixedLog { log throws in
            #expect(try log.read(from: 31).events.isEmpty)
            #expect(try log.read(from: 31).next == nil)
            #expect(try log.read(limit: 0).events.isEmpty)
            #expect(try log.read(from: 30, limit: 5).events.map(\.position) == [30])
            #expect(try log.read(from: 0, limit: 1).events.map(\.position) == [1])
            #expect(try log.read(from: 99, direction: .backward, limit: 1).events.map(\.position) == [30])
        }
        try await withLog { log throws in
            #expect(try log.read().events.isEmpty)
            #expect(try log.read(direction: .backward).events.isEmpty)
        }
    }

    @Test(
        arguments: [
            (EventFilter(types: ["deposited"]), Array(stride(from: UInt64(2), through: 30, by: 2))),
            (EventFilter(types: ["deposited", "withdrawn"]), Array(1...30)),
            (EventFilter(types: ["unknown"]), []),
            (EventFilter(tags: ["big"]), Array(stride(from: UInt64(3), through: 30, by: 3))),
            (EventFilter(tags: ["big", "p12"]), [12]),
            (EventFilter(types: ["deposited"], tags: ["big"]), [6, 12, 18, 24, 30]),
            (EventFilter(category: "order"), (1...30).filter { $0 % 5 >= 3 }),
            (EventFilter(tags: ["big"], category: "order"), [3, 9, 18, 24]),
            (EventFilter(streamPrefix: "account-1"), [1, 6, 11, 16, 21, 26]),
            (EventFilter(streamPrefix: "acc"), (1...30).filter { $0 % 5 < 3 }),
            (EventFilter(streamPrefix: "zzz"), []),
        ] as [(EventFilter, [UInt64])])
    func filteredReadsFindExactlyTheMatchingEventsBothWaysAndInPages(filter: EventFilter, expected: [UInt64])
        async throws
    {
        try await withMixedLog { log throws in
            for pageSize in [1, 4, 100] {
                let forward = try pagedPositions(log, filter: filter, direction: .forward, pageSize: pageSize)
                #expect(forward.positions == expected)
                let backward = try pagedPositions(log, filter: filter, direction: .backward, pageSize: pageSize)
                #expect(backward.positions == expected.reversed())
            }
            let fromTwenty = try pagedPositions(log, filter: filter, direction: .forward, pageSize: 3, from: 20)
            #expect(fromTwenty.positions == expected.filter { $0 >= 20 })
            let downFromTwenty = try pagedPositions(log, filter: filter, direction: .backward, pageSize: 3, from: 20)
            #expect(downFromTwenty.positions == expected.filter { $0 <= 20 }.reversed())
        }
    }

    @Test func aStreamReadsForwardAndBackwardFromAnyRevision() async throws {
        try await withMixedLog { log throws in
            let account = try stream("account-1")  // positions 1, 6, 11, 16, 21, 26
            let all = try log.readStream(account, limit: 100)
            #expect(all.events.map(\.position) == [1, 6, 11, 16, 21, 26])
            #expect(all.events.map(\.revision) == Array(0...5))
            #expect(all.next == nil)
            #expect(all.headRevision == 5)
            let firstPage = try log.readStream(account, limit: 4)
            #expect(firstPage.events.map(\.revision) == [0, 1, 2, 3])
            #expect(firstPage.next == 4)
            let rest = try log.readStream(account, from: firstPage.next, limit: 4)
            #expect(rest.events.map(\.revision) == [4, 5])
            #expect(rest.next == nil)
            let backward = try log.readStream(account, direction: .backward, limit: 4)
            #expect(backward.events.map(\.revision) == [5, 4, 3, 2])
            #expect(backward.next == 1)
            let backwardRest = try log.readStream(account, from: backward.next, direction: .backward, limit: 4)
            #expect(backwardRest.events.map(\.revision) == [1, 0])
            #expect(backwardRest.next == nil)
            #expect(try log.readStream(account, from: 6).events.isEmpty)
            #expect(try log.readStream(account, from: 99, direction: .backward, limit: 1).events.map(\.revision) == [5])
        }
    }

    @Test func aStreamWhoseNameStartsWithADashIsItsOwnCategory() async throws {
        try await withLog { log throws in
            try await log.append(try event("-odd"))
            try await log.append(try event("odd-1"))
            #expect(try log.read(filter: EventFilter(category: "-odd")).events.map(\.position) == [1])
            #expect(try log.read(filter: EventFilter(category: "odd")).events.map(\.position) == [2])
        }
    }

    @Test func readingAnUnknownStreamIsStreamNotFound() async throws {
        try await withMixedLog { log throws in
            let missing = try stream("account-99")
            #expect(throws: EventLogError.streamNotFound(missing)) { try log.readStream(missing) }
            #expect(try log.streamHead(missing) == nil)
        }
    }

    @Test func streamsAreListedByPrefixInByteOrderAndPaged() async throws {
        try await withMixedLog { log throws in
            let all = try log.streams()
            #expect(
                all.streams.map(\.stream.rawValue) == ["account-0", "account-1", "account-2", "order-0", "order-1"])
            #expect(all.next == nil)
            let accounts = try log.streams(prefix: "account-", limit: 2)
            #expect(accounts.streams.map(\.stream.rawValue) == ["account-0", "account-1"])
            let next = try #require(accounts.next)
            let more = try log.streams(prefix: "account-", after: next, limit: 2)
            #expect(more.streams.map(\.stream.rawValue) == ["account-2"])
            #expect(more.next == nil)
            #expect(try log.streams(prefix: "nothing").streams.isEmpty)
            let head = try #require(all.streams.first { $0.stream.rawValue == "order-1" })
            #expect(head.revision == 5)
            #expect(head.position == 29)
        }
    }

    @Test func theStatusCountsEventsStreamsAndMapUse() async throws {
        try await withMixedLog { log throws in
            let status = try log.status()
            #expect(status.treeHead.size == 30)
            #expect(status.streamCount == 5)
            #expect(status.usedBytes > 0 && status.usedBytes <= status.mapSize)
        }
    }
}
