import Foundation
import HTTPTypes
import HummingbirdTesting
import TallyHTTP
import Testing

/// Every protected route, one request each, and the permission it needs.
private let protectedRoutes: [(method: HTTPRequest.Method, uri: String, json: String?, permission: Permission)] = [
    (.post, "/v1/commands/deposit", #"{"account":"a","amount":1}"#, .submitCommands),
    (.post, "/v1/streams/orders-1/events", #"{"events":[{"type":"placed","data":{}}]}"#, .appendEvents),
    (.post, "/v1/events", #"{"events":[{"stream":"orders-2","type":"placed","data":{}}]}"#, .appendEvents),
    (.get, "/v1/streams", nil, .readStreams),
    (.get, "/v1/streams/orders-1/events", nil, .readStreams),
    (.get, "/v1/events", nil, .readEvents),
    (.get, "/v1/events/live", nil, .readEvents),
    (.get, "/v1/projections", nil, .readProjections),
    (.get, "/v1/projections/account-balances", nil, .readProjections),
    (.get, "/v1/projections/account-balances/a", nil, .readProjections),
    (.post, "/v1/projections/trial-balance/rebuild", nil, .manageProjections),
    (.post, "/v1/keys", #"{"name":"n","role":"reader"}"#, .manageKeys),
    (.get, "/v1/keys", nil, .manageKeys),
    (.delete, "/v1/keys/000000000000", nil, .manageKeys),
    (.get, "/v1/checkpoints/latest", nil, .readProofs),
    (.get, "/v1/checkpoints/1", nil, .readProofs),
    (.post, "/v1/checkpoints", nil, .signCheckpoints),
    (.get, "/v1/checkpoint-key", nil, .readProofs),
    (.get, "/v1/proofs/inclusion?position=1&treeSize=1", nil, .readProofs),
    (.get, "/v1/proofs/consistency?from=0&to=0", nil, .readProofs),
]

@Suite("Authentication and roles")
struct AuthorizationTests {
    @Test func everyRouteChecksItsPermissionForEveryRole() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for route in protectedRoutes {
                    for role in Role.allCases {
                        // A permitted live subscription never ends; LiveTests cover it.
                        if route.uri == "/v1/events/live", role.permissions.contains(route.permission) { continue }
                        let response = try await client.send(
                            route.method, route.uri, as: harness.tokens[role], json: route.json)
                        if role.permissions.contains(route.permission) {
                            #expect(
                                ![401, 403].contains(response.status.code),
                                "\(role) \(route.method) \(route.uri): \(response.text)")
                        } else {
                            #expect(response.status == .forbidden, "\(role) \(route.method) \(route.uri)")
                            #expect(try response.problemSlug == "forbidden")
                            #expect(try response.object["permission"] as? String == route.permission.rawValue)
                        }
                    }
                }
            }
        }
    }

    @Test func theRoleTableIsTheDocumentedOne() {
        #expect(Role.admin.permissions == Set(Permission.allCases))
        #expect(Role.writer.permissions == [.appendEvents, .readStreams, .readEvents])
        #expect(Role.submitter.permissions == [.submitCommands, .readProjections])
        #expect(Role.reader.permissions == [.readProjections, .readStreams])
        #expect(Role.auditor.permissions == [.readEvents, .readStreams, .readProofs])
        #expect(Permission.allCases.count == 10)
    }

    @Test func aMissingOrInvalidKeyIs401OnEveryProtectedRoute() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for route in protectedRoutes {
                    for token in [nil, "tally_000000000000_00", "not-a-token", harness.tokens[.admin]! + "0"] {
                        let response = try await client.send(route.method, route.uri, as: token, json: route.json)
                        #expect(response.status == .unauthorized, "\(route.uri) with \(token ?? "no key")")
                        #expect(try response.problemSlug == "unauthorized")
                        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    }
                }
            }
        }
    }

    @Test func healthMetricsAndTheDocumentNeedNoKey() async throws {
        try await Harness.with { harness in
            try await harness.client { client throws in
                for uri in ["/health/live", "/health/ready", "/metrics", "/v1/openapi.json"] {
                    #expect(try await client.send(.get, uri, as: nil).status == .ok, "\(uri)")
                }
            }
        }
    }

    @Test func aKeyCreatedOverHTTPWorksIsListedWithoutItsSecretAndStopsWhenRevoked() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                let created = try await client.send(
                    .post, "/v1/keys", as: admin, json: #"{"name":"ci","role":"reader"}"#)
                #expect(created.status == .created)
                let token = try #require(try created.object["token"] as? String)
                let id = try #require(try created.object["id"] as? String)
                #expect(try await client.send(.get, "/v1/streams", as: token).status == .ok)

                let list = try await client.send(.get, "/v1/keys", as: admin)
                #expect(list.text.contains(id))
                #expect(!list.text.contains(String(token.split(separator: "_")[2])))

                let revoked = try await client.send(.delete, "/v1/keys/\(id)", as: admin)
                #expect(revoked.status == .ok)
                #expect(try revoked.object["revokedAt"] is String)
                #expect(try await client.send(.get, "/v1/streams", as: token).status == .unauthorized)
                let missing = try await client.send(.delete, "/v1/keys/ffffffffffff", as: admin)
                #expect(missing.status == .notFound)
                #expect(try missing.problemSlug == "key-not-found")
            }
        }
    }

    @Test func aKeyRequestWithABadRoleOrNameIsRefused() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                for body in [#"{"name":"x","role":"root"}"#, #"{"name":"","role":"reader"}"#, "[]"] {
                    let response = try await client.send(.post, "/v1/keys", as: harness.tokens[.admin], json: body)
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(try response.problemSlug == "invalid-body")
                }
            }
        }
    }

    @Test func theKeyFileIsPrivateAndHoldsOnlyHashes() async throws {
        try await Harness.with { harness in
            let attributes = try FileManager.default.attributesOfItem(atPath: harness.keys.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let stored = try String(contentsOfFile: harness.keys.path, encoding: .utf8)
            for token in harness.tokens.values {
                #expect(!stored.contains(String(token.split(separator: "_")[2])))
            }
            let reopened = try APIKeyStore(path: harness.keys.path)
            #expect(reopened.authenticate(harness.tokens[.reader]!)?.role == .reader)
            #expect(reopened.list().count == Role.allCases.count)
        }
    }
}
