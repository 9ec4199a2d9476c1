import Foundation
import HTTPTypes
import HummingbirdTesting
import TallyHTTP
import TallyStore
import TallyVerify
import Testing

@Suite("Erasure over HTTP")
struct ErasureRouteTests {
    @Test func anAdminErasesAnOwnerAndEveryReadShowsIt() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                let opened = try await client.send(
                    .post, "/v1/commands/openAccount", as: admin,
                    json: #"{"id":"a","owner":"Ada Lovelace","currency":"EUR"}"#)
                #expect(opened.status == .created)
                try await client.send(.post, "/v1/commands/deposit", as: admin, json: #"{"account":"a","amount":700}"#)
                let before = try harness.log.treeHead()

                let erased = try await client.send(
                    .post, "/v1/erasures", as: admin,
                    json: #"{"positions":[1],"fields":["owner"],"reason":"GDPR request 7"}"#,
                    headers: [HTTPField.Name("X-Request-ID")!: "erase-7"])
                #expect(erased.status == .created)
                #expect(try erased.object["erased"] as? [Int] == [1])
                #expect(try erased.object["unchanged"] as? [Int] == [])
                let receipt = try #require(try erased.object["erasure"] as? [String: Any])
                let record = try #require((receipt["events"] as? [[String: Any]])?.first)
                #expect(record["stream"] as? String == "$erasures")
                #expect(record["position"] as? Int == 3)
                let metadata = try #require(record["metadata"] as? [String: Any])
                #expect(metadata["correlationId"] as? String == "erase-7")
                #expect((metadata["actor"] as? String)?.hasPrefix("key:") == true)

                // The event keeps its place and leaf; its data lost the owner, and says so.
                let events = try await client.send(.get, "/v1/events?limit=10", as: harness.tokens[.auditor])
                let first = try #require((try events.object["events"] as? [[String: Any]])?.first)
                #expect((first["data"] as? [String: Any])?.keys.sorted() == ["account", "currency", "overdraftLimit"])
                let erasure = try #require(first["erasure"] as? [String: Any])
                #expect(erasure["erasedBy"] as? Int == 3)
                #expect((erasure["dataDigest"] as? String)?.count == 64)
                #expect(try harness.log.treeHead(size: before.size) == before)

                // The read model forgot the owner too.
                let row = try await client.send(
                    .get, "/v1/projections/account-balances/a?minPosition=3", as: harness.tokens[.reader])
                #expect(row.status == .ok)
                let value = try #require(try row.object["value"] as? [String: Any])
                #expect(value["owner"] is NSNull)
                #expect(value["balance"] as? Int == 700)

                // Asking again changes nothing and appends nothing.
                let again = try await client.send(
                    .post, "/v1/erasures", as: admin, json: #"{"positions":[1],"fields":["owner"],"reason":"again"}"#)
                #expect(again.status == .ok)
                #expect(try again.object["erasure"] is NSNull)
                #expect(try again.object["unchanged"] as? [Int] == [1])
                #expect(try harness.log.treeHead().size == 3)
            }
        }
    }

    @Test func refusalsNameWhatIsWrongAndEraseNothing() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                try await client.send(
                    .post, "/v1/commands/openAccount", as: admin, json: #"{"id":"a","owner":"Ada","currency":"EUR"}"#)
                try await client.send(.post, "/v1/commands/deposit", as: admin, json: #"{"account":"a","amount":5}"#)
                let cases: [(token: String?, body: String, status: HTTPResponse.Status, slug: String)] = [
                    (harness.tokens[.auditor], #"{"positions":[1],"reason":"r"}"#, .forbidden, "forbidden"),
                    (nil, #"{"positions":[1],"reason":"r"}"#, .unauthorized, "unauthorized"),
                    (admin, #"{"positions":[1]}"#, .badRequest, "invalid-body"),
                    (admin, #"{"positions":[],"reason":"r"}"#, .badRequest, "invalid-body"),
                    (admin, #"{"positions":[922E372036854775807],"reason":"r"}"#, .badRequest, "invalid-body"),
                    (admin, #"{"positions":[1],"fields":[],"reason":"r"}"#, .badRequest, "invalid-body"),
                    (admin, #"{"positions":[9],"reason":"r"}"#, .notFound, "event-not-found"),
                    (admin, #"{"positions":[2],"reason":"r"}"#, .unprocessableContent, "erasure-refused"),
                    (
                        admin, #"{"positions":[1,2],"fields":["amount"],"reason":"r"}"#, .unprocessableContent,
                        "erasure-refused"
                    ),
                ]
                for (token, body, status, slug) in cases {
                    let answer = try await client.send(.post, "/v1/erasures", as: token, json: body)
                    #expect(answer.status == status, "\(body)")
                    #expect(try answer.problemSlug == slug, "\(body)")
                }
                #expect(try harness.log.treeHead().size == 2)
                #expect(try harness.log.event(at: 1)?.erasure == nil)

                let reserved = try await client.send(
                    .post, "/v1/streams/$erasures/events", as: admin,
                    json: #"{"events":[{"type":"eventsErased","data":{}}]}"#)
                #expect(reserved.status == .unprocessableContent)
                #expect(try reserved.object["reason"] as? String == "reserved")
            }
        }
    }
}
