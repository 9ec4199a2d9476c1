import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization

/// The outermost middleware: gives the request its correlation id, and logs and counts it once
/// it is answered.
struct RequestMiddleware: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(
        _ request: Request, context: TallyRequestContext,
        next: (Request, TallyRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = request.headers[.requestID].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "request.id"] = .string(context.requestID)
        let started = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - started
        // Hummingbird names its not-found responder "NotFound"; unmatched paths share one label.
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, elapsed: elapsed)
        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.rawValue), "http.route": .string(route),
            "http.status": .stringConvertible(response.status.code),
            "http.duration_ms": .string(String(format: "%.3f", elapsed.milliseconds)),
        ]
        if let principal = context.credentials.principal { metadata["auth.key"] = .string(principal) }
        context.logger.info("Request answered", metadata: metadata)
        return response
    }

    /// A client's request id if it is 1–128 visible ASCII characters (it goes into logs and metadata).
    private static func acceptable(_ id: String) -> String? {
        guard (1...128).contains(id.utf8.count), id.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return id
    }
}

/// Turns every error thrown below it into an `application/problem+json` response, and logs
/// the ones that are Tally's fault in full (never in the response).
struct ProblemMiddleware: RouterMiddleware {
    let routes: RouteTable

    func handle(
        _ request: Request, context: TallyRequestContext,
        next: (Request, TallyRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Problem(for: error)
            if let error = error as? HTTPError, error.status == .notFound {
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                    problem = Problem(
                        "method-not-allowed", "The resource does not support this method", .methodNotAllowed,
                        detail: "\(request.uri.path) supports \(allowed.joined(separator: ", ")).")
                    problem.headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            if problem.status.code >= 500 && problem.type.hasSuffix("/internal") {
                context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return Self.response(for: problem, instance: request.uri.path)
        }
    }

    static func response(for problem: Problem, instance: String) -> Response {
        var problem = problem
        problem.instance = instance
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        return Response(
            status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: problem.json)))
    }
}

/// Resolves the request's bearer token to a key. Routes then ask for the permission they need.
struct AuthenticationMiddleware: RouterMiddleware {
    let keys: APIKeyStore

    func handle(
        _ request: Request, context: TallyRequestContext,
        next: (Request, TallyRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let prefix = "Bearer "
            if header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix.lowercased(),
                let key = keys.authenticate(header.dropFirst(prefix.count))
            {
                context.credentials = .key(key)
            } else {
                context.credentials = .invalid
            }
        }
        return try await next(request, context)
    }
}

/// Every route the router serves, as method and path template, for 405 answers and the OpenAPI check.
package final class RouteTable: Sendable {
    /// One route: `GET /v1/streams/{stream}/events`.
    package struct Route: Sendable, Hashable {
        /// The HTTP method.
        package let method: String
        /// The path template, parameters in braces as OpenAPI writes them.
        package let path: String
    }

    private let entries = Mutex<[Route]>([])

    /// Every route, in the order added.
    package var routes: [Route] { entries.withLock { $0 } }

    func add(method: String, path: String) {
        let route = Route(method: method, path: path)
        entries.withLock { if !$0.contains(route) { $0.append(route) } }
    }

    /// The methods of the routes whose template matches `path`.
    func methods(matching path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.filter { route in
            let template = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return template.count == segments.count
                && zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`: the correlation id.
    static let requestID = HTTPField.Name("X-Request-ID")!
    /// `Idempotency-Key`: a command's id.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `Tally-Position`: the log position an answer reflects.
    static let tallyPosition = HTTPField.Name("Tally-Position")!
    /// `Link`: the next page (RFC 8288).
    static let link = HTTPField.Name("Link")!
    /// `Last-Event-ID`: where an SSE client resumes.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

extension Duration {
    /// The duration in milliseconds, with fractions.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
