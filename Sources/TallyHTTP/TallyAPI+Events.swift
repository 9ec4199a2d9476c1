import Foundation
import HTTPTypes
import Hummingbird
import TallyCore
import TallyStore

extension TallyAPI {
    /// Raw appends, and reads of streams and of the whole log.
    func addEventRoutes(to router: Router<TallyRequestContext>) {
        add(.post, "/v1/streams/{stream}/events", to: router, permission: .appendEvents, waitsForWriter: true) {
            request, context in
            let stream = try streamID(try parameter("stream", of: context))
            return try await append(request, context: context, stream: stream)
        }
        add(.post, "/v1/events", to: router, permission: .appendEvents, waitsForWriter: true) { request, context in
            try await append(request, context: context, stream: nil)
        }
        add(.get, "/v1/streams", to: router, permission: .readStreams) { request, _ in
            let prefix = request.uri.queryParameters["prefix"].map(String.init) ?? ""
            let after = try request.uri.queryParameters["after"].map { try streamID(String($0), parameter: "after") }
            let page = try log.streams(prefix: prefix, after: after, limit: try pageSize(of: request))
            let next = page.next.map {
                link(
                    "/v1/streams",
                    [
                        "prefix": prefix.isEmpty ? nil : prefix, "after": $0.rawValue,
                        "limit": request.uri.queryParameters["limit"].map(String.init),
                    ], request)
            }
            var json = JSONWriter()
            json.object { json in
                json.key("streams")
                json.array { json in
                    for head in page.streams { json.write(head) }
                }
                json.member("next", optionalString: next)
            }
            return self.json(json.bytes, headers: linkHeader(next))
        }
        add(.get, "/v1/streams/{stream}/events", to: router, permission: .readStreams) { request, context in
            let stream = try streamID(try parameter("stream", of: context))
            let direction = try direction(of: request)
            let page = try log.readStream(
                stream, from: try position("from", of: request), direction: direction, limit: try pageSize(of: request))
            let next = page.next.map {
                link(
                    "/v1/streams/\(context.parameters.get("stream") ?? "")/events",
                    [
                        "from": String($0), "direction": direction == .backward ? "backward" : nil,
                        "limit": request.uri.queryParameters["limit"].map(String.init),
                    ], request)
            }
            var json = JSONWriter()
            json.object { json in
                json.member("stream", string: stream.rawValue)
                json.member("headRevision", integer: page.headRevision)
                json.key("events")
                json.array { json in for event in page.events { json.write(event) } }
                json.member("next", optionalString: next)
            }
            return self.json(json.bytes, headers: linkHeader(next))
        }
        add(.get, "/v1/events", to: router, permission: .readEvents) { request, _ in
            let (from, direction) = try logRange(of: request)
            let filter = try filter(of: request)
            let page = try log.read(from: from, direction: direction, limit: try pageSize(of: request), filter: filter)
            let next = page.next.map { next in
                var query = filterQuery(of: request)
                query[direction == .backward ? "before" : "after"] =
                    String(direction == .backward ? next + 1 : next - 1)
                query["limit"] = request.uri.queryParameters["limit"].map(String.init)
                return link("/v1/events", query, request)
            }
            var json = JSONWriter()
            json.object { json in
                json.member("head", integer: page.head)
                json.key("events")
                json.array { json in for event in page.events { json.write(event) } }
                json.member("next", optionalString: next)
            }
            return self.json(json.bytes, headers: [.tallyPosition: String(page.head)] + linkHeader(next))
        }
    }

    private func append(_ request: Request, context: TallyRequestContext, stream: StreamID?) async throws -> Response {
        let body = try await body(of: request)
        var metadata = JSONWriter()
        metadata.object { json in
            json.member("correlationId", string: context.requestID)
            if let actor = context.actor { json.member("actor", string: actor) }
        }
        let append = try AppendBody(
            bytes: body, stream: stream, maxEvents: limits.maxEventsPerAppend, defaultMetadata: metadata.bytes
        ).request()
        let receipt = try await log.append(append)
        var json = JSONWriter()
        json.object { json in writeReceipt(receipt, into: &json) }
        var headers = HTTPFields()
        if receipt.isReplay { headers[.idempotentReplayed] = "true" }
        return self.json(json.bytes, status: receipt.isReplay ? .ok : .created, headers: headers)
    }

    func streamID(_ name: String, parameter: String = "stream") throws -> StreamID {
        do {
            return try StreamID(name)
        } catch {
            throw invalidParameter(
                parameter, "is not a valid stream name (1–200 bytes of UTF-8, no control characters)")
        }
    }

    private func direction(of request: Request) throws -> ReadDirection {
        switch request.uri.queryParameters["direction"] {
        case nil, "forward": .forward
        case "backward": .backward
        default: throw invalidParameter("direction", "must be forward or backward")
        }
    }

    /// Where a log read starts: `after=N` (forward from N+1), `before=N` (backward from N−1), or
    /// `from=N` with a `direction`.
    private func logRange(of request: Request) throws -> (from: UInt64?, direction: ReadDirection) {
        let after = try position("after", of: request)
        let before = try position("before", of: request)
        let from = try position("from", of: request)
        guard [after, before, from].compactMap({ $0 }).count <= 1 else {
            throw invalidParameter("after", "cannot be combined with before or from")
        }
        if let after { return (after + 1, .forward) }
        if let before {
            guard before > 1 else { throw invalidParameter("before", "must be at least 2") }
            return (before - 1, .backward)
        }
        return (from, try direction(of: request))
    }

    /// The filter from `type`, `tag` (each repeatable), `category` and `prefix`.
    func filter(of request: Request) throws -> EventFilter {
        let query = request.uri.queryParameters
        return EventFilter(
            types: Set(query[values: "type"].map(String.init)), tags: Set(query[values: "tag"].map(String.init)),
            category: query["category"].map(String.init), streamPrefix: query["prefix"].map(String.init))
    }

    private func filterQuery(of request: Request) -> [String: String?] {
        var query: [String: String?] = [:]
        for name in ["category", "prefix"] {
            query[name] = request.uri.queryParameters[Substring(name)].map(String.init)
        }
        return query
    }

    /// A relative link to `path` with `query` (nil values left out, repeated `type`/`tag` kept).
    func link(_ path: String, _ query: [String: String?], _ request: Request) -> String {
        var items = query.compactMap { name, value in value.map { (name, $0) } }.sorted { $0.0 < $1.0 }
        for name in ["type", "tag"] where path == "/v1/events" {
            items += request.uri.queryParameters[values: Substring(name)].map { (name, String($0)) }
        }
        let text = items.map { "\($0)=\(percentEncoded($1))" }.joined(separator: "&")
        return text.isEmpty ? path : "\(path)?\(text)"
    }

    private func linkHeader(_ next: String?) -> HTTPFields {
        guard let next else { return [:] }
        return [.link: "<\(next)>; rel=\"next\""]
    }

    private func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? text
    }
}

extension CharacterSet {
    /// What a query value may hold unescaped: the query characters less `&`, `+`, `=` and `?`.
    fileprivate static let urlQueryValueAllowed = CharacterSet.urlQueryAllowed.subtracting(
        CharacterSet(charactersIn: "&+=?"))
}

extension HTTPFields {
    fileprivate static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var fields = lhs
        fields.append(contentsOf: rhs)
        return fields
    }
}
