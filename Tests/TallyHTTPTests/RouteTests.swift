import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyHTTP
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

@Suite("Commands, appends and reads over HTTP")
struct RouteTests {
    @Test func aCommandAnswers201WithItsReceiptEventsAndCorrelationMetadata() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.submitter],
                    json: #"{"id":"a-1","owner":"Ada","currency":"EUR","overdraftLimit":500}"#,
                    headers: [.init("X-Request-ID")!: "req-42"])
                #expect(response.status == .created)
                #expect(response.headers[.init("X-Request-ID")!] == "req-42")
                let body = try response.object
                #expect(body["commandType"] as? String == "openAccount")
                #expect((body["positions"] as? [String: Int]) == ["first": 1, "last": 1])
                #expect((body["streamRevisions"] as? [String: Int]) == ["account-a-1": 0])
                let checkpoint = try #require(body["checkpoint"] as? [String: Any])
                #expect(checkpoint["size"] as? Int == 1)
                #expect((checkpoint["root"] as? String)?.count == 64)
                let event = try #require((body["events"] as? [[String: Any]])?.first)
                #expect(event["type"] as? String == "accountOpened")
                let metadata = try #require(event["metadata"] as? [String: Any])
                #expect(metadata["correlationId"] as? String == "req-42")
                #expect(
                    metadata["actor"] as? String == "key:\(harness.keys.authenticate(harness.tokens[.submitter]!)!.id)")
                #expect(metadata["commandId"] as? String == body["commandId"] as? String)
            }
        }
    }

    @Test func aRetriedCommandReturnsTheOriginalAnswerAndWritesNothing() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.submitter]
                let key: HTTPFields = [.init("Idempotency-Key")!: "7d4f1f6e-8d7e-4b8f-9a51-2f0a3c1b9e11"]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: token, json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
                let first = try await client.send(
                    .post, "/v1/commands/deposit", as: token, json: #"{"account":"a","amount":100}"#, headers: key)
                let second = try await client.send(
                    .post, "/v1/commands/deposit", as: token, json: #"{"account":"a","amount":100}"#, headers: key)
                #expect(first.status == .created)
                #expect(second.status == .ok)
                #expect(second.headers[.init("Idempotent-Replayed")!] == "true")
                #expect(try first.object["commandId"] as? String == "7d4f1f6e-8d7e-4b8f-9a51-2f0a3c1b9e11")
                #expect(try second.object["events"] as? [[String: Any]] != nil)
                #expect(try second.object["positions"] as? [String: Int] == first.object["positions"] as? [String: Int])
                #expect(try harness.log.treeHead().size == 2)
            }
        }
    }

    @Test func rawAppendsStoreDataAndMetadataByteForByte() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let data = #"{ "b" : [1, 2.50, "\u00e9"],  "a":null }"#
                let metadata = #"{"source" :"import"}"#
                let response = try await client.send(
                    .post, "/v1/streams/orders-1/events", as: harness.tokens[.writer],
                    json:
                        #"{"expectedRevision":"noStream","events":[{"id":"0190a0c4-0000-7000-8000-000000000001","type":"placed","tags":["customer:7"],"data":"#
                        + data + #","metadata":"# + metadata + "}]}")
                #expect(response.status == .created, "\(response.text)")
                let stored = try #require(try harness.log.event(at: 1))
                #expect(String(decoding: stored.data, as: UTF8.self) == data)
                #expect(String(decoding: stored.metadata, as: UTF8.self) == metadata)
                #expect(stored.id == UUID(uuidString: "0190a0c4-0000-7000-8000-000000000001"))
                #expect(stored.tags == ["customer:7"])
                let read = try await client.send(.get, "/v1/streams/orders-1/events", as: harness.tokens[.reader])
                #expect(read.text.contains(#""data":"# + data))
            }
        }
    }

    @Test func anAppendWithoutMetadataRecordsTheRequestAndKey() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer],
                    json: #"{"events":[{"type":"t","data":1}]}"#,
                    headers: [.init("X-Request-ID")!: "abc"])
                let stored = try #require(try harness.log.event(at: 1))
                let metadata = try JSONSerialization.jsonObject(with: Data(stored.metadata)) as? [String: String]
                #expect(metadata?["correlationId"] == "abc")
                #expect(metadata?["actor"]?.hasPrefix("key:") == true)
            }
        }
    }

    @Test func aMultiStreamAppendIsAtomicAcrossItsStreams() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.writer]
                let body = #"""
                    {"expectedRevisions":{"from-1":"noStream","to-1":"noStream"},
                     "events":[{"stream":"from-1","type":"debited","data":{"n":1}},{"stream":"to-1","type":"credited","data":{"n":1}}]}
                    """#
                let created = try await client.send(.post, "/v1/events", as: token, json: body)
                #expect(created.status == .created)
                #expect(try created.object["streamRevisions"] as? [String: Int] == ["from-1": 0, "to-1": 0])
                let again = try await client.send(
                    .post, "/v1/events", as: token,
                    json: body.replacingOccurrences(of: #""to-1","type""#, with: #""to-2","type""#))
                #expect(again.status == .conflict)
                #expect(try harness.log.streamHead(StreamID("to-2")) == nil)
            }
        }
    }

    @Test func followingNextLinksReadsTheWholeLogOnceInOrder() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for index in 0..<7 {
                    try await client.send(
                        .post, "/v1/streams/s-\(index % 3)/events", as: harness.tokens[.writer],
                        json: #"{"events":[{"type":"\#(index % 2 == 0 ? "even" : "odd")","data":\#(index)}]}"#)
                }
                var uri: String? = "/v1/events?limit=3"
                var positions: [Int] = []
                while let next = uri {
                    let page = try await client.send(.get, next, as: harness.tokens[.auditor])
                    #expect(page.headers[.init("Tally-Position")!] == "7")
                    positions += (try page.object["events"] as? [[String: Any]] ?? []).compactMap {
                        $0["position"] as? Int
                    }
                    uri = try page.object["next"] as? String
                    if let uri { #expect(page.headers[.init("Link")!] == "<\(uri)>; rel=\"next\"") }
                }
                #expect(positions == Array(1...7))

                let odd = try await client.send(.get, "/v1/events?type=odd&limit=2", as: harness.tokens[.auditor])
                var oddPositions = (try odd.object["events"] as? [[String: Any]] ?? []).compactMap {
                    $0["position"] as? Int
                }
                let following = try #require(try odd.object["next"] as? String)
                #expect(following.contains("type=odd"))
                oddPositions +=
                    (try await client.send(.get, following, as: harness.tokens[.auditor]).object["events"]
                    as? [[String: Any]] ?? []).compactMap { $0["position"] as? Int }
                #expect(oddPositions == [2, 4, 6])

                let backward = try await client.send(.get, "/v1/events?before=7&limit=2", as: harness.tokens[.auditor])
                #expect(
                    (try backward.object["events"] as? [[String: Any]] ?? []).compactMap { $0["position"] as? Int } == [
                        6, 5,
                    ])
                let prefixed = try await client.send(.get, "/v1/events?prefix=s-1", as: harness.tokens[.auditor])
                #expect(
                    (try prefixed.object["events"] as? [[String: Any]] ?? []).compactMap { $0["position"] as? Int } == [
                        2, 5,
                    ])
            }
        }
    }

    @Test func aStreamReadsForwardAndBackwardAndAnUnknownStreamIs404() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for index in 0..<3 {
                    try await client.send(
                        .post, "/v1/streams/s-1/events", as: harness.tokens[.writer],
                        json: #"{"events":[{"type":"t","data":\#(index)}]}"#)
                }
                let backward = try await client.send(
                    .get, "/v1/streams/s-1/events?direction=backward&limit=2", as: harness.tokens[.reader])
                #expect(
                    (try backward.object["events"] as? [[String: Any]] ?? []).compactMap { $0["revision"] as? Int } == [
                        2, 1,
                    ])
                #expect(try backward.object["headRevision"] as? Int == 2)
                let next = try #require(try backward.object["next"] as? String)
                let rest = try await client.send(.get, next, as: harness.tokens[.reader])
                #expect(
                    (try rest.object["events"] as? [[String: Any]] ?? []).compactMap { $0["revision"] as? Int } == [0])
                let missing = try await client.send(.get, "/v1/streams/nope-1/events", as: harness.tokens[.reader])
                #expect(missing.status == .notFound)
                #expect(try missing.problemSlug == "stream-not-found")
                let bad = try await client.send(
                    .get, "/v1/streams/s-1/events?direction=sideways", as: harness.tokens[.reader])
                #expect(try bad.problemSlug == "invalid-parameter")
            }
        }
    }

    @Test func streamsAreListedByPrefixAPageAtATime() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for name in ["order-1", "order-2", "order-3", "user-1", "a%20b"] {
                    try await client.send(
                        .post, "/v1/streams/\(name)/events", as: harness.tokens[.writer],
                        json: #"{"events":[{"type":"t","data":1}]}"#)
                }
                let first = try await client.send(
                    .get, "/v1/streams?prefix=order-&limit=2", as: harness.tokens[.reader])
                let names = (try first.object["streams"] as? [[String: Any]] ?? []).compactMap {
                    $0["stream"] as? String
                }
                #expect(names == ["order-1", "order-2"])
                let next = try #require(try first.object["next"] as? String)
                let second = try await client.send(.get, next, as: harness.tokens[.reader])
                #expect(
                    (try second.object["streams"] as? [[String: Any]] ?? []).compactMap { $0["stream"] as? String } == [
                        "order-3"
                    ])
                #expect(try harness.log.streamHead(StreamID("a b")) != nil)
            }
        }
    }

    @Test func projectionAnswersCarryThePositionTheyReflectAndCanWaitForIt() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.submitter]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: token, json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
                let deposit = try await client.send(
                    .post, "/v1/commands/deposit", as: token, json: #"{"account":"a","amount":250}"#)
                let position = try #require((try deposit.object["positions"] as? [String: Int])?["last"])
                let totals = try await client.send(
                    .get, "/v1/projections/trial-balance/EUR?minPosition=\(position)", as: harness.tokens[.reader])
                #expect(totals.status == .ok)
                #expect(Int(totals.headers[.init("Tally-Position")!] ?? "") ?? 0 >= position)
                let value = try #require(try totals.object["value"] as? [String: Any])
                #expect(value["balances"] as? Int == 250)
                let balance = try await client.send(
                    .get, "/v1/projections/account-balances/a", as: harness.tokens[.reader])
                #expect((try balance.object["value"] as? [String: Any])?["balance"] as? Int == 250)
                let statement = try await client.send(
                    .get, "/v1/projections/account-statements?prefix=a:&minPosition=\(position)",
                    as: harness.tokens[.reader])
                let documents = try #require(try statement.object["documents"] as? [[String: Any]])
                #expect(documents.map { $0["key"] as? String } == ["a:00000000000000000001"])
                let list = try await client.send(.get, "/v1/projections", as: harness.tokens[.reader])
                #expect((try list.object["projections"] as? [[String: Any]])?.count == 3)
            }
        }
    }

    @Test func waitingForAProjectionThatStaysBehindIsABounded503AndMissingThingsAre404() async throws {
        var limits = HTTPLimits()
        limits.maxProjectionWait = .milliseconds(50)
        // The async projections do not run, so trial-balance stays at position 0.
        try await Harness.with(limits: limits, runsProjections: false) { harness in
            try await harness.client { client in
                let token = harness.tokens[.reader]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.admin],
                    json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
                let behind = try await client.send(.get, "/v1/projections/trial-balance/EUR?minPosition=1", as: token)
                #expect(behind.status == .serviceUnavailable)
                #expect(try behind.problemSlug == "projection-behind")
                #expect(behind.headers[.retryAfter] == "1")
                let beyond = try await client.send(.get, "/v1/projections/trial-balance/EUR?minPosition=2", as: token)
                #expect(beyond.status == .badRequest)
                #expect(try beyond.object["parameter"] as? String == "minPosition")
                let unknown = try await client.send(.get, "/v1/projections/nope/x", as: token)
                #expect(try unknown.problemSlug == "unknown-projection")
                let missing = try await client.send(.get, "/v1/projections/account-balances/nobody", as: token)
                #expect(missing.status == .notFound)
                #expect(try missing.problemSlug == "document-not-found")
            }
        }
    }

    @Test func anAdminRebuildsAnAsyncProjectionButNotAnInlineOne() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                let deposit = try await client.send(
                    .post, "/v1/commands/openAccount", as: admin, json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
                let position = try #require((try deposit.object["positions"] as? [String: Int])?["last"])
                let rebuild = try await client.send(.post, "/v1/projections/trial-balance/rebuild", as: admin)
                #expect(rebuild.status == .accepted)
                #expect(try rebuild.object["state"] as? String == "rebuilding")
                let after = try await client.send(
                    .get, "/v1/projections/trial-balance/EUR?minPosition=\(position)", as: admin)
                #expect((try after.object["value"] as? [String: Any])?["accounts"] as? Int == 1)
                let inline = try await client.send(.post, "/v1/projections/account-balances/rebuild", as: admin)
                #expect(inline.status == .conflict)
                #expect(try inline.problemSlug == "projection-not-rebuildable")
                let unknown = try await client.send(.post, "/v1/projections/nope/rebuild", as: admin)
                #expect(try unknown.problemSlug == "unknown-projection")
            }
        }
    }

    @Test func requestIDsAreEchoedOrMadeUpAndHostileOnesReplaced() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let given = try await client.send(
                    .get, "/health/live", as: nil, headers: [.init("X-Request-ID")!: "trace-1"])
                #expect(given.headers[.init("X-Request-ID")!] == "trace-1")
                let made = try await client.send(.get, "/health/live", as: nil)
                #expect(UUID(uuidString: made.headers[.init("X-Request-ID")!] ?? "") != nil)
                let hostile = try await client.send(
                    .get, "/health/live", as: nil, headers: [.init("X-Request-ID")!: String(repeating: "x", count: 129)]
                )
                #expect(UUID(uuidString: hostile.headers[.init("X-Request-ID")!] ?? "") != nil)
            }
        }
    }

    @Test func metricsCountRequestsAndCommits() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.submitter],
                    json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
                let metrics = try await client.send(.get, "/metrics", as: nil).text
                #expect(
                    metrics.contains(
                        #"tally_http_requests_total{method="POST",route="/v1/commands/{type}",status="201"} 1"#))
                // Async projection steps commit through the writer too, so commits may exceed one.
                #expect(metrics.contains("tally_events_appended_total 1"))
                #expect(metrics.contains("tally_commits_total "))
                #expect(metrics.contains("tally_commit_duration_seconds_count "))
                #expect(metrics.contains("tally_commit_batch_operations_count "))
                #expect(metrics.contains(#"tally_projection_lag_events{projection="account-balances"} 0.0"#))
                #expect(metrics.contains("tally_log_head_position 1"))
                let ready = try await client.send(.get, "/health/ready", as: nil)
                #expect(try ready.object["position"] as? Int == 1)
            }
        }
    }
}

@Suite("Writer timeouts")
struct WriterTimeoutTests {
    @Test func aCommandNotAnsweredInTimeIs503AndARetryWithItsKeyReturnsItsOutcome() async throws {
        var limits = HTTPLimits()
        limits.requestTimeout = .milliseconds(100)
        try await Harness.with(limits: limits) { harness in
            try await harness.client { client in
                let key: HTTPFields = [.init("Idempotency-Key")!: "open-a"]
                let body = #"{"id":"a","owner":"o","currency":"EUR"}"#
                // Another write transaction holds LMDB's writer lock until the first answer is
                // back, so the writer cannot commit the command before the timeout answers.
                let held = DispatchSemaphore(value: 0)
                let release = DispatchSemaphore(value: 0)
                let holder = Thread {
                    try? harness.log.environment.write { _ in
                        held.signal()
                        release.wait()
                    }
                }
                holder.start()
                held.wait()
                let first = try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.submitter], json: body, headers: key)
                release.signal()
                #expect(first.status == .serviceUnavailable)
                #expect(try first.problemSlug == "request-timeout")
                #expect(first.headers[.retryAfter] == "1")
                // The command went on in the writer and committed: the 503 lost nothing.
                for _ in 0..<500 where try harness.log.treeHead().size == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(try harness.log.treeHead().size == 1)
                // The retry with the same key answers the committed outcome and writes nothing more
                // (retried again on 503, as a client would: a busy machine may exceed 100 ms).
                var retry = try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.submitter], json: body, headers: key)
                for _ in 0..<50 where retry.status == .serviceUnavailable {
                    retry = try await client.send(
                        .post, "/v1/commands/openAccount", as: harness.tokens[.submitter], json: body, headers: key)
                }
                #expect(retry.status == .ok)
                #expect(retry.headers[.init("Idempotent-Replayed")!] == "true")
                #expect(try harness.log.treeHead().size == 1)
            }
        }
    }
}
