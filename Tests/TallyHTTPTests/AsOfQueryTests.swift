import Foundation
import HTTPTypes
import HummingbirdTesting
import TallyHTTP
import TallyStore
import Testing

@Suite("As-of projection queries over HTTP")
struct AsOfQueryTests {
    @Test func aReadModelAsOfAPositionIsFoldedFromTheEventsUpToIt() async throws {
        var limits = HTTPLimits()
        limits.maxAsOfEvents = 4
        try await Harness.with(limits: limits) { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                let reader = harness.tokens[.reader]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: admin, json: #"{"id":"a","owner":"Ada","currency":"EUR"}"#)
                try await client.send(.post, "/v1/commands/deposit", as: admin, json: #"{"account":"a","amount":100}"#)
                try await client.send(.post, "/v1/commands/deposit", as: admin, json: #"{"account":"a","amount":50}"#)

                func value(_ uri: String) async throws -> (position: Int?, value: [String: Any]?) {
                    let answer = try await client.send(.get, uri, as: reader)
                    #expect(answer.status == .ok, "\(uri): \(answer.text)")
                    return (try answer.object["position"] as? Int, try answer.object["value"] as? [String: Any])
                }
                let atTwo = try await value("/v1/projections/account-balances/a?asOf=2")
                #expect(atTwo.position == 2)
                #expect(atTwo.value?["balance"] as? Int == 100)
                let trial = try await client.send(.get, "/v1/projections/trial-balance?asOf=2", as: reader)
                let totals = try #require((try trial.object["documents"] as? [[String: Any]])?.first?["value"])
                #expect((totals as? [String: Any])?["deposits"] as? Int == 100)
                #expect(try trial.object["position"] as? Int == 2)

                // As of the head, the replay equals the live read model.
                let live = try await value("/v1/projections/account-balances/a?minPosition=3")
                let replayed = try await value("/v1/projections/account-balances/a?asOf=3")
                #expect(replayed.position == live.position)
                #expect(
                    try JSONSerialization.data(withJSONObject: try #require(replayed.value), options: .sortedKeys)
                        == JSONSerialization.data(withJSONObject: try #require(live.value), options: .sortedKeys))

                let refusals: [(String, HTTPResponse.Status, String)] = [
                    ("/v1/projections/account-balances/a?asOf=9", .notFound, "tree-too-small"),
                    ("/v1/projections/account-balances/a?asOf=3&minPosition=3", .badRequest, "invalid-parameter"),
                    ("/v1/projections/account-balances/a?asOf=x", .badRequest, "invalid-parameter"),
                ]
                for (uri, status, slug) in refusals {
                    let answer = try await client.send(.get, uri, as: reader)
                    #expect(answer.status == status, "\(uri)")
                    #expect(try answer.problemSlug == slug, "\(uri)")
                }
                try await client.send(.post, "/v1/commands/deposit", as: admin, json: #"{"account":"a","amount":1}"#)
                try await client.send(.post, "/v1/commands/deposit", as: admin, json: #"{"account":"a","amount":1}"#)
                let tooFar = try await client.send(.get, "/v1/projections/account-balances/a?asOf=5", as: reader)
                #expect(tooFar.status == .unprocessableContent)
                #expect(try tooFar.problemSlug == "as-of-too-far")
                #expect(try tooFar.object["maxAsOf"] as? Int == 4)
            }
        }
    }

    @Test func asOfQueriesBeyondTheConcurrencyLimitAreToldToRetry() async throws {
        var limits = HTTPLimits()
        limits.maxConcurrentAsOf = 0
        try await Harness.with(limits: limits) { harness in
            try await harness.client { client in
                try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.admin],
                    json: #"{"id":"a","owner":"Ada","currency":"EUR"}"#)
                let answer = try await client.send(
                    .get, "/v1/projections/account-balances/a?asOf=1", as: harness.tokens[.reader])
                #expect(answer.status == .serviceUnavailable)
                #expect(try answer.problemSlug == "busy")
                #expect(answer.headers[.retryAfter] == "1")
                // Live queries are not limited.
                let live = try await client.send(
                    .get, "/v1/projections/account-balances/a", as: harness.tokens[.reader])
                #expect(live.status == .ok)
            }
        }
    }
}
