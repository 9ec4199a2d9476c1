import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TallyHTTP
import Testing

/// One request example of the document, ready to send.
private struct Example: Sendable {
    let method: String
    let path: String
    let name: String
    let uri: String
    let json: String
    let expected: Int
}

@Suite("The OpenAPI document")
struct OpenAPITests {
    /// The document as the server serves it.
    private func document(from harness: Harness) async throws -> [String: Any] {
        let body = try await harness.client { client in
            let response = try await client.send(.get, "/v1/openapi.json", as: nil)
            #expect(response.status == .ok)
            return Data(response.body.readableBytesView)
        }
        return try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
    }

    @Test func itDescribesEveryRouteTheRouterServesAndNoOther() async throws {
        try await Harness.with { harness in
            _ = harness.api.makeRouter()
            let served = Set(harness.api.routes.routes.map { "\($0.method) \($0.path)" })
            let paths = try #require(try await document(from: harness)["paths"] as? [String: [String: Any]])
            let described = Set(
                paths.flatMap { path, operations in
                    operations.keys.filter { $0 != "parameters" }.map { "\($0.uppercased()) \(path)" }
                })
            #expect(served.count == 25)
            #expect(served.subtracting(described).isEmpty, "served but not described: \(served.subtracting(described))")
            #expect(described.subtracting(served).isEmpty, "described but not served: \(described.subtracting(served))")
        }
    }

    @Test func everyRequestExampleGetsTheStatusItPromisesFromARealServer() async throws {
        try await Harness.with { harness in
            let paths = try #require(try await document(from: harness)["paths"] as? [String: [String: Any]])
            var examples: [Example] = []
            for (path, operations) in paths {
                for (method, operation) in operations {
                    guard let operation = operation as? [String: Any],
                        let body = operation["requestBody"] as? [String: Any],
                        let media = (body["content"] as? [String: Any])?["application/json"] as? [String: Any],
                        let named = media["examples"] as? [String: [String: Any]]
                    else { continue }
                    for (name, example) in named {
                        var uri = path
                        for (parameter, value) in example["x-path"] as? [String: String] ?? [:] {
                            uri = uri.replacingOccurrences(of: "{\(parameter)}", with: value)
                        }
                        let value = try #require(example["value"])
                        examples.append(
                            Example(
                                method: method.uppercased(), path: path, name: name, uri: uri,
                                json: String(
                                    decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self),
                                expected: try #require(example["x-expected-status"] as? Int)))
                    }
                }
            }
            #expect(examples.count >= 10)
            // Each operation's examples run in name order; operations touch disjoint streams.
            examples.sort { ($0.path, $0.method, $0.name) < ($1.path, $1.method, $1.name) }
            try await harness.client { [examples] client in
                for example in examples {
                    let response = try await client.send(
                        HTTPRequest.Method(example.method)!, example.uri, as: harness.tokens[.admin], json: example.json
                    )
                    #expect(
                        response.status.code == example.expected,
                        "\(example.method) \(example.uri) \(example.name): \(response.status.code) \(response.text)")
                    if example.expected >= 400 {
                        #expect(response.headers[.contentType] == "application/problem+json")
                    }
                }
            }
        }
    }

    @Test func everyProblemTypeTheServerUsesIsDocumented() async throws {
        try await Harness.with { harness in
            let text = String(
                decoding: try JSONSerialization.data(withJSONObject: try await document(from: harness)), as: UTF8.self)
            for slug in [
                "unauthorized", "forbidden", "not-found", "method-not-allowed", "invalid-body", "invalid-parameter",
                "body-too-large", "too-many-events", "invalid-event", "invalid-command", "unknown-command",
                "invalid-idempotency-key", "wrong-expected-revision", "append-condition-failed", "idempotency-conflict",
                "stream-not-found", "unknown-projection", "document-not-found", "projection-behind", "overloaded",
                "storage-full", "busy", "request-timeout", "shutting-down", "key-not-found", "internal",
                "insufficient-funds", "unknown-account", "checkpoint-not-found", "checkpoints-not-configured",
                "tree-too-small", "position-not-in-tree", "tree-sizes-out-of-order",
            ] {
                #expect(text.contains(slug), "\(slug) is not in the OpenAPI document")
            }
        }
    }
}
