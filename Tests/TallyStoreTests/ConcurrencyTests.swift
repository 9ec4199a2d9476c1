import Foundation
import TallyStore
import TallyVerify
import Testing

@Suite("Concurrent appends")
struct ConcurrencyTests {
    @Test func racingExactExpectationsAdmitExactlyOneWinnerPerRevision() async throws {
        try await withLog { log in
            let target = try stream("account-race")
            try await log.append(try event("account-race"))  // revision 0
            var wins = 0
            var losses = 0
            // Every round, 64 tasks race to append at the same expected revision; exactly one may win.
            for round in 0..<5 {
                let expected = UInt64(round)
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<64 {
                        group.addTask {
                            do {
                                try await log.append(try event("account-race"), expected: .exact(expected))
                                return true
                            } catch EventLogError.wrongExpectedRevision(let stream, .exact(expected), let actual) {
                                #expect(stream == target)
                                #expect(actual == expected + 1)
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
                wins += outcomes.filter { $0 }.count
                losses += outcomes.filter { !$0 }.count
            }
            #expect(wins == 5)
            #expect(losses == 5 * 63)
            let events = try log.readStream(target, limit: 100).events
            #expect(events.map(\.revision) == Array(0...5))
            #expect(events.map(\.position) == Array(1...6))
        }
    }

    @Test func appendsToDistinctStreamsAreAllAcknowledgedAndReadableInGapFreeOrder() async throws {
        try await withLog { log in
            let receipts = try await withThrowingTaskGroup(of: AppendReceipt.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var last: AppendReceipt?
                        for index in 0..<5 {
                            last = try await log.append(try event("task-\(task)", data: #"{"i":\#(index)}"#))
                        }
                        return last!
                    }
                }
                return try await group.reduce(into: [AppendReceipt]()) { $0.append($1) }
            }
            #expect(receipts.count == 64)
            #expect(receipts.allSatisfy { $0.events[0].revision == 4 })
            let events = try log.allEvents()
            #expect(events.map(\.position) == Array(1...320))
            for task in 0..<64 {
                let streamEvents = try log.readStream(try stream("task-\(task)")).events
                #expect(streamEvents.map(\.revision) == Array(0...4))
                #expect(
                    streamEvents.map { String(decoding: $0.data, as: UTF8.self) } == (0..<5).map { #"{"i":\#($0)}"# })
            }
            // Every receipt's tree head covers its events and is a prefix of the final tree.
            for receipt in receipts {
                #expect(receipt.checkpoint.size >= receipt.events[0].position)
                #expect(try log.treeHead(size: receipt.checkpoint.size) == receipt.checkpoint)
            }
            #expect(throws: EventLogError.treeTooSmall(size: 320, requested: 321)) { try log.treeHead(size: 321) }
        }
    }

    @Test func aRefusedAppendInABatchRollsBackAloneWhileItsNeighboursCommit() async throws {
        try await withLog { log in
            try await log.append(try event("account-1"))
            let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<32 {
                    group.addTask {
                        // Odd tasks expect a stream that does not exist: refused. Even ones write freely.
                        let expected: ExpectedRevision = index % 2 == 0 ? .any : .exact(99)
                        do {
                            try await log.append(try event("account-\(index + 2)"), expected: expected)
                            return (index, true)
                        } catch is EventLogError {
                            return (index, false)
                        }
                    }
                }
                return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(results.filter { $0.value }.map(\.key).sorted() == Array(stride(from: 0, to: 32, by: 2)))
            #expect(try log.allEvents().map(\.position) == Array(1...17))
        }
    }

    @Test func aFullQueueMakesCallersWaitAndThenReportOverloaded() async throws {
        var options = EventLog.Options()
        options.maxQueuedAppends = 1
        options.enqueueTimeout = .zero
        try await withLog(options: options) { log in
            // With room for one queued append and no patience, some of many simultaneous appends are
            // turned away; every one that was acknowledged is in the log.
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        do {
                            try await log.append(try event("s-\(index)"))
                            return true
                        } catch EventLogError.overloaded {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            let acknowledged = outcomes.filter { $0 }.count
            #expect(acknowledged >= 1)
            #expect(acknowledged < 200)
            #expect(try log.treeHead().size == UInt64(acknowledged))
        }
    }
}
