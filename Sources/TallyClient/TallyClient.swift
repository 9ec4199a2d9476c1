import AsyncHTTPClient
import Foundation
import NIOCore
package import NIOHTTP1

/// A client of Tally's `/v1` HTTP API, for services and for the `tally` CLI's online mode.
///
/// ```swift
/// let client = try TallyClient(url: "http://127.0.0.1:8080", token: key)
/// let receipt = try await client.submit(command: "deposit", body: Array(#"{"account":"a-1","amount":1250}"#.utf8))
/// try await client.shutdown()
/// ```
///
/// - Important: Call ``shutdown()`` when done: the client owns its connections.
package struct TallyClient: Sendable {
    /// What the server answered.
    package struct Answer: Sendable {
        /// The HTTP status.
        package let status: Int
        /// The body, JSON.
        package let body: [UInt8]
    }

    private let base: String
    private let token: String?
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// A client of the server at `url` (for example `http://127.0.0.1:8080`), sending `token` as its API key.
    ///
    /// A server that refuses the connection fails the request at once (no retries until the
    /// deadline); `timeout` bounds each request from start to last byte.
    ///
    /// - Throws: ``TallyClientError/invalidURL(_:)`` for a URL that is not `http(s)://host[:port]`.
    package init(url: String, token: String?, timeout: Duration = .seconds(60)) throws {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw TallyClientError.invalidURL(url)
        }
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .seconds(max(1, timeout.components.seconds))
    }

    /// Runs `body` with a client of the server at `url`, and closes the client afterwards,
    /// whether `body` returned or threw.
    ///
    /// - Throws: ``TallyClientError/invalidURL(_:)``, or whatever `body` threw.
    package static func with<R>(
        url: String, token: String?, _ body: (TallyClient) async throws -> R
    ) async throws -> R {
        let client = try TallyClient(url: url, token: token)
        let result: R
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes the client's connections.
    package func shutdown() async throws {
        try await http.shutdown()
    }

    /// `POST /v1/commands/{type}`: runs a command; returns the server's answer (receipt and events).
    package func submit(command type: String, body: [UInt8], idempotencyKey: String? = nil) async throws -> Answer {
        try await send(
            .POST, "/v1/commands/\(Self.escaped(type))", body: body,
            headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [])
    }

    /// `POST /v1/projections/{name}/rebuild`: folds an async projection again from position 1 (admin).
    package func rebuildProjection(named name: String) async throws -> Answer {
        try await send(.POST, "/v1/projections/\(Self.escaped(name))/rebuild")
    }

    /// `POST /v1/erasures`: erases the data of the events at `positions` (only the top-level
    /// members `fields`, if given), for `reason` (admin).
    package func erase(positions: [UInt64], fields: [String]?, reason: String) async throws -> Answer {
        var body: [String: Any] = ["positions": positions, "reason": reason]
        if let fields { body["fields"] = fields }
        return try await send(
            .POST, "/v1/erasures", body: Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        )
    }

    /// `POST /v1/keys`: makes an API key; the answer holds its token, shown only now.
    package func createKey(name: String, role: String) async throws -> Answer {
        let body = try JSONSerialization.data(withJSONObject: ["name": name, "role": role])
        return try await send(.POST, "/v1/keys", body: Array(body))
    }

    /// `GET /v1/keys`: every key, without secrets.
    package func listKeys() async throws -> Answer { try await send(.GET, "/v1/keys") }

    /// `DELETE /v1/keys/{id}`: revokes a key.
    package func revokeKey(id: String) async throws -> Answer {
        try await send(.DELETE, "/v1/keys/\(Self.escaped(id))")
    }

    /// `GET path?query`: a read; query items whose value is `nil` are left out, the others percent-encoded.
    package func get(_ path: String, query: [(String, String?)] = []) async throws -> Answer {
        let items = query.compactMap { name, value in value.map { "\(name)=\(Self.escapedQueryValue($0))" } }
        return try await send(.GET, items.isEmpty ? path : path + "?" + items.joined(separator: "&"))
    }

    /// `GET /v1/events/live` as NDJSON: hands `line` each event (one JSON object) after `after` that
    /// matches `query`, first the stored ones and then each new one as it commits, until the task
    /// is cancelled or the server ends the feed.
    ///
    /// The server sends a heartbeat every 15 s while nothing happens; a feed silent for
    /// `idleTimeout` is treated as a lost server (``TallyClientError/unreachable(url:reason:)``).
    package func follow(
        after: UInt64, query: [(String, String?)] = [], idleTimeout: Duration = .seconds(60),
        line: (ArraySlice<UInt8>) async throws -> Void
    ) async throws {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5), read: .seconds(idleTimeout.components.seconds)))
        configuration.connectionPool.retryConnectionEstablishment = false
        let feed = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await follow(on: feed, after: after, query: query, line: line)
        } catch {
            try? await feed.shutdown()
            throw error
        }
        try await feed.shutdown()
    }

    private func follow(
        on feed: HTTPClient, after: UInt64, query: [(String, String?)], line: (ArraySlice<UInt8>) async throws -> Void
    ) async throws {
        let items = ([("after", String(after))] + query).compactMap { name, value in
            value.map { "\(name)=\(Self.escapedQueryValue($0))" }
        }
        var request = HTTPClientRequest(url: base + "/v1/events/live?" + items.joined(separator: "&"))
        request.headers.add(name: "Accept", value: "application/x-ndjson")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await feed.execute(request, timeout: .hours(24 * 365))
        } catch {
            throw TallyClientError.unreachable(url: base, reason: "\(error)")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
            throw TallyClientError.refused(
                TallyClientError.Problem(Answer(status: Int(response.status.code), body: body)))
        }
        var pending: [UInt8] = []
        do {
            for try await chunk in response.body {
                pending += chunk.readableBytesView
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    // An empty line is a heartbeat.
                    if newline > start { try await line(pending[start..<newline]) }
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
        } catch let error as HTTPClientError {
            throw TallyClientError.unreachable(url: base, reason: "\(error)")
        }
    }

    /// A path segment: `segment` percent-encoded so that it stays one segment.
    package static func pathSegment(_ segment: String) -> String { escaped(segment) }

    /// Sends one request; a 2xx answer is returned, anything else thrown as ``TallyClientError``.
    package func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw TallyClientError.unreachable(url: base, reason: "\(error)")
        }
        let answer = Answer(status: Int(response.status.code), body: Array(bytes.readableBytesView))
        guard (200..<300).contains(answer.status) else {
            throw TallyClientError.refused(TallyClientError.Problem(answer))
        }
        return answer
    }

    private static func escapedQueryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? value
    }

    private static func escaped(_ segment: String) -> String {
        segment.addingPercentEncoding(
            withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? segment
    }
}

/// Why a request to the server did not succeed.
package enum TallyClientError: Error, Equatable, Sendable {
    /// The URL is not `http(s)://host[:port]`.
    case invalidURL(String)
    /// No answer: the server is down, unreachable, or too slow.
    case unreachable(url: String, reason: String)
    /// The server answered with a problem document.
    case refused(Problem)
    /// The server answered 2xx with something this client does not understand.
    case unexpectedAnswer(String)

    /// An RFC 9457 problem as the server sent it.
    package struct Problem: Equatable, Sendable {
        /// The HTTP status.
        package let status: Int
        /// The problem type's slug (the part after `/problems/`), or the whole `type`.
        package let slug: String
        /// The kind of problem.
        package let title: String
        /// What went wrong this time.
        package let detail: String?

        init(_ answer: TallyClient.Answer) {
            let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
            status = answer.status
            let type = object["type"] as? String ?? "about:blank"
            slug = type.split(separator: "/").last.map(String.init) ?? type
            title = object["title"] as? String ?? "HTTP \(answer.status)"
            detail = object["detail"] as? String
        }
    }
}
