import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import TallyHTTP
import TallyStore
import Testing

/// Reads a live subscription's body until `enough` says it has what it wants, then hangs up.
private func subscribe(
    port: Int, path: String, token: String, accept: String, lastEventID: String? = nil,
    until enough: @Sendable (String) -> Bool
) async throws -> String {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.headers.add(name: "Accept", value: accept)
    if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    #expect(response.status.code == 200)
    #expect(response.headers.first(name: "Content-Type") == accept)
    var received = ""
    for try await chunk in response.body {
        received += String(buffer: chunk)
        if enough(received) { break }
    }
    return received
}

private func append(_ harness: Harness, stream: String, type: String = "t", count: Int) async throws {
    for index in 0..<count {
        let event = try ProposedEvent(stream: StreamID(stream), type: type, data: Array("\(index)".utf8))
        try await harness.log.append(AppendRequest(events: [event]))
    }
}

@Suite("Live subscriptions on a real server")
struct LiveTests {
    @Test func serverSentEventsCatchUpThenDeliverNewEventsLive() async throws {
        try await Harness.with { harness in
            try await append(harness, stream: "s-1", count: 3)
            try await harness.app.test(.live) { client in
                let port = try #require(client.port)
                let received = try await withThrowingTaskGroup(of: String?.self) { group in
                    group.addTask {
                        try await subscribe(
                            port: port, path: "/v1/events/live", token: harness.tokens[.auditor]!,
                            accept: "text/event-stream", until: { $0.contains("id: 5\n") })
                    }
                    group.addTask {
                        // Once the subscriber has caught up, two more commits must reach it live.
                        try await Task.sleep(for: .milliseconds(200))
                        try await append(harness, stream: "s-2", count: 2)
                        return nil
                    }
                    var text = ""
                    for try await result in group { if let result { text = result } }
                    return text
                }
                let ids = received.split(separator: "\n").filter { $0.hasPrefix("id: ") }
                #expect(ids == ["id: 1", "id: 2", "id: 3", "id: 4", "id: 5"])
                #expect(received.contains(#"data: {"position":4,"stream":"s-2""#))
            }
        }
    }

    @Test func lastEventIDResumesAfterThatPosition() async throws {
        try await Harness.with { harness in
            try await append(harness, stream: "s-1", count: 4)
            try await harness.app.test(.live) { client in
                let received = try await subscribe(
                    port: try #require(client.port), path: "/v1/events/live", token: harness.tokens[.admin]!,
                    accept: "text/event-stream", lastEventID: "2", until: { $0.contains("id: 4\n") })
                #expect(received.split(separator: "\n").filter { $0.hasPrefix("id: ") } == ["id: 3", "id: 4"])
            }
        }
    }

    @Test func ndjsonDeliversOneFilteredEventPerLine() async throws {
        try await Harness.with { harness in
            try await append(harness, stream: "s-1", type: "kept", count: 2)
            try await append(harness, stream: "s-1", type: "dropped", count: 2)
            try await append(harness, stream: "s-2", type: "kept", count: 1)
            try await harness.app.test(.live) { client in
                let received = try await subscribe(
                    port: try #require(client.port), path: "/v1/events/live?type=kept", token: harness.tokens[.writer]!,
                    accept: "application/x-ndjson", until: { $0.split(separator: "\n").count >= 3 })
                let positions = try received.split(separator: "\n").map { line in
                    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["position"]
                        as? Int
                }
                #expect(positions == [1, 2, 5])
            }
        }
    }

    @Test func anIdleSubscriptionSendsHeartbeats() async throws {
        var limits = HTTPLimits()
        limits.heartbeatInterval = .milliseconds(50)
        try await Harness.with(limits: limits) { harness in
            try await harness.app.test(.live) { client in
                let received = try await subscribe(
                    port: try #require(client.port), path: "/v1/events/live", token: harness.tokens[.auditor]!,
                    accept: "text/event-stream", until: { $0.components(separatedBy: ": heartbeat\n\n").count >= 3 })
                #expect(received.hasPrefix(": heartbeat\n\n"))
            }
        }
    }

    @Test func aSubscriberThatLeavesDoesNotHoldUpTheServer() async throws {
        try await Harness.with { harness in
            try await append(harness, stream: "s-1", count: 1)
            try await harness.app.test(.live) { client in
                let port = try #require(client.port)
                for _ in 0..<5 {
                    _ = try await subscribe(
                        port: port, path: "/v1/events/live", token: harness.tokens[.auditor]!,
                        accept: "text/event-stream",
                        until: { $0.contains("id: 1\n") })
                }
                // Events committed after the subscribers left are written to nobody; the server
                // still answers, and the test framework's shutdown returns (it would hang on a
                // subscription that never ended).
                try await append(harness, stream: "s-1", count: 3)
                let response = try await client.send(.get, "/v1/streams/s-1/events", as: harness.tokens[.reader])
                #expect(response.status == .ok)
            }
        }
    }

    @Test func headersUpTo80KiBPassAndLargerOnesAreRefusedByTheParser() async throws {
        try await Harness.with { harness in
            try await harness.app.test(.live) { client in
                let port = try #require(client.port)
                for (size, status) in [(70_000, 200), (90_000, 400)] {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/live")
                    request.headers.add(name: "X-Padding", value: String(repeating: "x", count: size))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                    #expect(response.status.code == UInt(status), "\(size) bytes of header")
                }
            }
        }
    }
}
