import Foundation
import TallyStore
import Testing

@Suite("Subscriptions")
struct SubscriptionTests {
    @Test func aSubscriptionCatchesUpThenReceivesLiveEventsInOrder() async throws {
        try await withLog { log in
            for index in 1...25 { try await log.append(try event("s-\(index % 3)", data: #"{"i":\#(index)}"#)) }
            let received = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                group.addTask {
                    var positions: [UInt64] = []
                    for try await event in log.subscribe(from: 5, pageSize: 4) {
                        positions.append(event.position)
                        if positions.count == 41 { break }
                    }
                    return positions
                }
                group.addTask {
                    // Live appends, some while the subscriber is still catching up.
                    for index in 26...45 { try await log.append(try event("s-\(index % 3)")) }
                    return []
                }
                return try await group.reduce(into: [UInt64]()) { $0 += $1 }
            }
            #expect(received == Array(5...45))
        }
    }

    @Test func aFilteredSubscriptionSeesOnlyMatchingEventsLive() async throws {
        try await withLog { log in
            try await log.append(try event("a-1", "kept"))
            try await log.append(try event("a-1", "skipped"))
            let received = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                group.addTask {
                    var positions: [UInt64] = []
                    for try await event in log.subscribe(filter: EventFilter(types: ["kept"])) {
                        positions.append(event.position)
                        if positions.count == 3 { break }
                    }
                    return positions
                }
                group.addTask {
                    for index in 0..<6 { try await log.append(try event("a-1", index % 3 == 0 ? "kept" : "skipped")) }
                    return []
                }
                return try await group.reduce(into: [UInt64]()) { $0 += $1 }
            }
            #expect(received == [1, 3, 6])
        }
    }

    @Test func cancellingAWaitingSubscriberEndsItWithoutTouchingTheLog() async throws {
        try await withLog { log in
            try await log.append(try event("a-1"))
            let task = Task {
                var count = 0
                for try await _ in log.subscribe() { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))  // let it catch up and start waiting
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try await log.append(try event("a-1")).positions == 2...2)
        }
    }

    @Test func closingTheLogEndsWaitingSubscriptions() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try EventLog(path: path)
        let task = Task {
            for try await _ in log.subscribe() {}
        }
        try await Task.sleep(for: .milliseconds(50))
        log.close()
        await #expect(throws: EventLogError.closed) { try await task.value }
    }
}
