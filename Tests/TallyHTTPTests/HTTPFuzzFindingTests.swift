import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyHTTP
import Testing

/// Requests tools/http-fuzz.sh (schemathesis) found answered 500 or held for 10 s, replayed against
/// a real server on a loopback port. Each must get the answer named here.
@Suite("HTTP fuzz findings on a real server")
struct HTTPFuzzFindingTests {
    /// Empty names reached LMDB as empty keys, which it refuses (`MDB_BAD_VALSIZE`): 500 before the fix.
    @Test(arguments: [
        ("/v1/events?type=", 200),
        ("/v1/events?tag=", 200),
        ("/v1/events?category=", 200),
        ("/v1/events?type=" + String(repeating: "t", count: 600), 200),
        ("/v1/projections/account-balances?prefix=&after=&limit=100&minPosition=0", 200),
        ("/v1/projections/account-statements?after=", 200),
        ("/v1/projections/account-balances/" + String(repeating: "k", count: 600), 404),
    ])
    func readsWithEmptyOrOverlongNamesAnswerWithoutServerError(path: String, status: Int) async throws {
        try await Harness.with { harness in
            try await harness.app.test(.live) { client in
                let response = try await client.send(.get, path, as: harness.tokens[.admin])
                #expect(response.status.code == status, "\(path): \(response.text)")
            }
        }
    }

    @Test func anAccountWithAnEmptyIDIsARejectionNotAServerError() async throws {
        try await Harness.with { harness in
            try await harness.app.test(.live) { client in
                let response = try await client.send(
                    .post, "/v1/commands/openAccount", as: harness.tokens[.admin],
                    json: #"{"currency": "EUR", "id": "", "overdraftLimit": 0, "owner": "Alan Turing"}"#)
                #expect(response.status.code == 422, "\(response.text)")
                #expect(try response.problemSlug == "invalid-account-id")
            }
        }
    }

    @Test func aConditionOnEmptyNamesMatchesNothingAndTheAppendGoesThrough() async throws {
        try await Harness.with { harness in
            try await harness.app.test(.live) { client in
                let response = try await client.send(
                    .post, "/v1/streams/0/events", as: harness.tokens[.admin],
                    json: #"""
                        {"condition": {"failIfEventsMatch": [{"category": "", "streamPrefix": "", "tags": [""], "types": []}],
                         "after": 0},
                         "events": [{"type": "orderShipped", "tags": ["order:1"], "data": {"orderId": "1"}}]}
                        """#)
                #expect(response.status.code == 201, "\(response.text)")
            }
        }
    }

    /// A position beyond the log's head was waited for 10 s and answered 503 `projection-behind`;
    /// now it is refused as a bad parameter (400), which needs no waiting.
    @Test func aMinPositionBeyondTheLogIsRefusedAtOnce() async throws {
        try await Harness.with { harness in
            try await harness.app.test(.live) { client in
                let response = try await client.send(
                    .get, "/v1/projections/account-balances/b-2?minPosition=72212320269980672",
                    as: harness.tokens[.admin])
                #expect(response.status.code == 400, "\(response.text)")
                #expect(try response.problemSlug == "invalid-parameter")
                #expect(try response.object["parameter"] as? String == "minPosition")
            }
        }
    }
}
