import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ledger
import TallyHTTP
import TallyStore
import TallyVerify
import Testing

@Suite("Errors as problem documents")
struct ProblemTests {
    @Test func anUnknownRouteIsA404Problem() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(.get, "/v2/nothing", as: harness.tokens[.admin])
                #expect(response.status == .notFound)
                #expect(try response.problemSlug == "not-found")
                #expect(try response.object["instance"] as? String == "/v2/nothing")
            }
        }
    }

    @Test func aWrongMethodIsA405ProblemNamingTheAllowedOnes() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(.put, "/v1/events", as: harness.tokens[.admin])
                #expect(response.status == .methodNotAllowed)
                #expect(try response.problemSlug == "method-not-allowed")
                #expect(response.headers[.allow] == "POST, GET")
            }
        }
    }

    @Test(arguments: [
        ("{", "invalid-body"), (#"{"a":1,"a":2}"#, "invalid-body"),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "invalid-body"),
        (#"{"account":"a","amount":1,"extra":1}"#, "invalid-command"), (#"{"account":"a"}"#, "invalid-body"),
        (#"{"account":"a","amount":"1"}"#, "invalid-body"),
        // Found by the fuzzer: valid JSON syntax, but a number no Swift type holds (it was a 500).
        (#"{"account":"a","amount":922E372036854775807}"#, "invalid-body"),
        (#"{"account":"a","amount":1,"note":1e999}"#, "invalid-body"),
    ])
    func malformedCommandBodiesAre400Problems(body: String, slug: String) async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(
                    .post, "/v1/commands/deposit", as: harness.tokens[.submitter], json: body)
                #expect(response.status == .badRequest, "\(response.text)")
                #expect(try response.problemSlug == slug)
            }
        }
    }

    @Test func anUnknownCommandTypeIsA404Problem() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(
                    .post, "/v1/commands/launchRocket", as: harness.tokens[.submitter], json: "{}")
                #expect(response.status == .notFound)
                #expect(try response.problemSlug == "unknown-command")
            }
        }
    }

    @Test func bodiesAtTheLimitPassAndOneByteOverIs413() async throws {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 200
        try await Harness.with(limits: limits) { harness in
            try await harness.client { client in
                let prefix = #"{"events":[{"type":"t","data":{"pad":""#
                let suffix = #""}}]}"#
                let padding = String(repeating: "x", count: 200 - prefix.utf8.count - suffix.utf8.count)
                let atLimit = prefix + padding + suffix
                #expect(atLimit.utf8.count == 200)
                let accepted = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer], json: atLimit)
                #expect(accepted.status == .created, "\(accepted.text)")
                let over = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer], json: prefix + padding + "x" + suffix)
                #expect(over.status == .contentTooLarge)
                #expect(try over.problemSlug == "body-too-large")
                #expect(try over.object["maxBytes"] as? Int == 200)
            }
        }
    }

    @Test func appendsAtTheEventLimitPassAndOneMoreIs422() async throws {
        var limits = HTTPLimits()
        limits.maxEventsPerAppend = 3
        try await Harness.with(limits: limits) { harness in
            try await harness.client { client in
                func body(_ count: Int) -> String {
                    #"{"events":["# + Array(repeating: #"{"type":"t","data":1}"#, count: count).joined(separator: ",")
                        + "]}"
                }
                let accepted = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer], json: body(3))
                #expect(accepted.status == .created)
                let refused = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer], json: body(4))
                #expect(refused.status == .unprocessableContent)
                #expect(try refused.object["maxEvents"] as? Int == 3)
            }
        }
    }

    @Test func pageSizesOutsideTheLimitAre400() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for limit in ["0", "1001", "ten", "-1"] {
                    let response = try await client.send(
                        .get, "/v1/events?limit=\(limit)", as: harness.tokens[.auditor])
                    #expect(response.status == .badRequest)
                    #expect(try response.problemSlug == "invalid-parameter")
                    #expect(try response.object["parameter"] as? String == "limit")
                }
                #expect(
                    try await client.send(.get, "/v1/events?limit=1000", as: harness.tokens[.auditor]).status == .ok)
            }
        }
    }

    @Test func aRejectionIs422NamingItsRuleWithItsData() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.submitter]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: token, json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
                let response = try await client.send(
                    .post, "/v1/commands/withdraw", as: token, json: #"{"account":"a","amount":5}"#)
                #expect(response.status == .unprocessableContent)
                #expect(try response.problemSlug == "insufficient-funds")
                let problem = try response.object
                #expect(problem["rule"] as? String == "insufficientFunds")
                #expect(problem["available"] as? Int == 0)
                #expect(problem["requested"] as? Int == 5)
                #expect(problem["title"] as? String == "Insufficient funds")
            }
        }
    }

    @Test func aStaleExpectedRevisionIs409WithTheActualRevision() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.writer]
                let body = #"{"expectedRevision":"noStream","events":[{"type":"t","data":{}}]}"#
                #expect(
                    try await client.send(.post, "/v1/streams/s-1/events", as: token, json: body).status == .created)
                let response = try await client.send(.post, "/v1/streams/s-1/events", as: token, json: body)
                #expect(response.status == .conflict)
                #expect(try response.problemSlug == "wrong-expected-revision")
                #expect(try response.object["actualRevision"] as? Int == 0)
                #expect(try response.object["expectedRevision"] as? String == "noStream")
            }
        }
    }

    @Test func aFailedAppendConditionIs409() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.writer]
                try await client.send(
                    .post, "/v1/streams/seat-1/events", as: token,
                    json: #"{"events":[{"type":"seatBooked","tags":["seat:1"],"data":{}}]}"#)
                let response = try await client.send(
                    .post, "/v1/streams/seat-1b/events", as: token,
                    json: #"""
                        {"condition":{"failIfEventsMatch":[{"tags":["seat:1"]}],"after":0},
                         "events":[{"type":"seatBooked","tags":["seat:1"],"data":{}}]}
                        """#)
                #expect(response.status == .conflict)
                #expect(try response.problemSlug == "append-condition-failed")
                #expect(try response.object["position"] as? Int == 1)
            }
        }
    }

    @Test func reusingAnIdempotencyKeyForADifferentCommandIs409() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let token = harness.tokens[.submitter]
                let key: HTTPFields = [.init("Idempotency-Key")!: "order-17"]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: token, json: #"{"id":"a","owner":"o","currency":"EUR"}"#,
                    headers: key)
                let response = try await client.send(
                    .post, "/v1/commands/openAccount", as: token, json: #"{"id":"b","owner":"o","currency":"EUR"}"#,
                    headers: key)
                #expect(response.status == .conflict)
                #expect(try response.problemSlug == "idempotency-conflict")
                let badKey: HTTPFields = [.init("Idempotency-Key")!: "has space"]
                let refused = try await client.send(
                    .post, "/v1/commands/openAccount", as: token, json: #"{"id":"c","owner":"o","currency":"EUR"}"#,
                    headers: badKey)
                #expect(try refused.problemSlug == "invalid-idempotency-key")
            }
        }
    }

    @Test func invalidEventsAre422NamingTheFieldAndEvent() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer],
                    json: #"{"events":[{"type":"ok","data":1},{"type":"","data":1}]}"#)
                #expect(response.status == .unprocessableContent)
                #expect(try response.problemSlug == "invalid-event")
                #expect(try response.object["field"] as? String == "type")
                #expect(try response.object["reason"] as? String == "empty")
                #expect(try response.object["eventIndex"] as? Int == 1)
                let metadata = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer],
                    json: #"{"events":[{"type":"ok","data":1,"metadata":[1]}]}"#)
                #expect(try metadata.object["reason"] as? String == "notAnObject")
            }
        }
    }

    @Test(arguments: [
        (#"{"events":[]}"#, "/events"), (#"{"events":{}}"#, "/events"), (#"{"evnts":[]}"#, "/evnts"),
        (#"{"events":[{"type":"t"}]}"#, "/events/0/data"), (#"{"events":[{"type":1,"data":1}]}"#, "/events/0/type"),
        (#"{"events":[{"id":"x","type":"t","data":1}]}"#, "/events/0/id"),
        (#"{"expectedRevision":"sometimes","events":[{"type":"t","data":1}]}"#, "/expectedRevision"),
        (
            #"{"condition":{"failIfEventsMatch":[{}]},"events":[{"type":"t","data":1}]}"#,
            "/condition/failIfEventsMatch/0"
        ),
        (#"{"events":[{"type":"t","data":1,"tags":[1]}]}"#, "/events/0/tags"),
    ])
    func malformedAppendBodiesNameTheOffendingMember(body: String, pointer: String) async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let response = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer], json: body)
                #expect(response.status == .badRequest, "\(response.text)")
                #expect(try response.problemSlug == "invalid-body")
                #expect(try response.object["pointer"] as? String == pointer)
            }
        }
    }

    @Test func anAppendBodyThatIsNotValidJSONSaysWhy() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let repeated = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer],
                    json: #"{"events":[{"type":"t","data":1}],"events":[]}"#)
                #expect(repeated.status == .badRequest)
                #expect(try repeated.problemSlug == "invalid-body")
                #expect(try repeated.object["detail"] as? String == "The body repeats the member events.")
                let cut = try await client.send(
                    .post, "/v1/streams/s-1/events", as: harness.tokens[.writer], json: #"{"events":["#)
                #expect(try cut.problemSlug == "invalid-body")
                #expect((try cut.object["detail"] as? String)?.hasPrefix("The body is not valid JSON") == true)
                #expect(try harness.log.treeHead().size == 0)
            }
        }
    }

    @Test func storageAndOverloadMapToRetryableStatuses() {
        let full = Problem(for: EventLogError.storageFull)
        #expect(full.status.code == 507)
        #expect(full.type == Problem.typeBase + "storage-full")
        let overloaded = Problem(for: EventLogError.overloaded)
        #expect(overloaded.status == .serviceUnavailable)
        #expect(overloaded.headers[.retryAfter] == "1")
        let closing = Problem(for: EventLogError.closed)
        #expect(closing.status == .serviceUnavailable)
    }

    @Test func internalErrorsSayNothingOfTheirCause() {
        struct Secret: Error {}
        for error in [
            Secret() as any Error, EventLogError.corrupted("page 7 of data.mdb"),
            EventLogError.unsupportedFormat(version: 9),
        ] {
            let problem = Problem(for: error)
            #expect(problem.status == .internalServerError)
            #expect(problem.detail == nil)
            #expect(problem.extensions.isEmpty)
            #expect(!String(decoding: problem.json, as: UTF8.self).contains("data.mdb"))
        }
    }

    @Test(arguments: [
        (Ledger.Rejection.unknownAccount("a"), "unknown-account"), (.accountExists("a"), "account-exists"),
        (.currencyMismatch(from: "EUR", to: "USD"), "currency-mismatch"), (.accountFrozen("a"), "account-frozen"),
        (.accountClosed("a"), "account-closed"), (.sameAccount("a"), "same-account"),
        (.nonPositiveAmount(0), "non-positive-amount"), (.nonZeroBalance(account: "a", balance: 3), "non-zero-balance"),
        (.invalidCurrency("XXY"), "invalid-currency"), (.invalidAccountID("a b"), "invalid-account-id"),
        (.invalidOwner, "invalid-owner"), (.negativeOverdraftLimit(-1), "negative-overdraft-limit"),
        (.balanceOverflow("a"), "balance-overflow"),
        (.insufficientFunds(account: "a", available: 1, requested: 2), "insufficient-funds"),
    ])
    func everyRejectionHasAStableSlugAndIs422(rejection: Ledger.Rejection, slug: String) {
        let problem = Problem(for: rejection)
        #expect(problem.type == Problem.typeBase + slug)
        #expect(problem.status == .unprocessableContent)
        #expect(problem.extensions.first?.name == "rule")
    }
}
