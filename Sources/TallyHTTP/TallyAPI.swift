import Foundation
import Synchronization
package import Hummingbird
import HTTPTypes
import Ledger
import LedgerProjection
import NIOCore
import TallyCore
package import TallyStore

/// Tally's `/v1` HTTP surface: what each route reads or writes, and with which permission.
///
/// ```swift
/// let api = try TallyAPI(log: log, keys: keys)
/// let app = Application(router: api.makeRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 8080)))
/// try await app.runService()
/// ```
package struct TallyAPI: Sendable {
    /// The log every route reads and writes.
    package let log: EventLog
    /// The keys requests authenticate with.
    package let keys: APIKeyStore
    /// The limits requests are held to.
    package let limits: HTTPLimits
    /// Where requests are counted and timed.
    package let metrics: HTTPMetrics
    /// Signs checkpoints on demand and names the verifier key; `nil` serves the stored history only.
    package let checkpoints: CheckpointPublisher?
    /// Every route, filled in by ``makeRouter()``.
    package let routes = RouteTable()
    /// The inline `account-balances` table ledger commands decide against.
    let balances: ProjectionTable
    /// The queries of each read model, by projection name.
    let queries: [String: any ProjectionQueries]
    /// Counts the as-of queries replaying now, up to ``HTTPLimits/maxConcurrentAsOf``.
    let asOfReplays: Slots

    /// The API over `log`, whose inline projectors must include ``AccountBalances``.
    ///
    /// - Throws: ``EventLogError/unknownProjection(_:)`` if the log has no `account-balances` projector.
    package init(
        log: EventLog, keys: APIKeyStore, limits: HTTPLimits = .init(), metrics: HTTPMetrics = .init(),
        checkpoints: CheckpointPublisher? = nil
    ) throws {
        let balancesName = AccountBalances().name
        guard let balances = log.inlineTable(named: balancesName) else {
            throw EventLogError.unknownProjection(balancesName)
        }
        self.log = log
        self.keys = keys
        self.limits = limits
        self.metrics = metrics
        self.checkpoints = checkpoints
        self.balances = balances
        self.queries = Dictionary(uniqueKeysWithValues: LedgerCommand.queries.map { ($0.projectionName, $0) })
        self.asOfReplays = Slots(limits.maxConcurrentAsOf)
    }

    /// Builds the router: middleware first (request id and logs, problems, authentication), then every route.
    package func makeRouter() -> Router<TallyRequestContext> {
        let router = Router(context: TallyRequestContext.self)
        router.add(middleware: RequestMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware(routes: routes))
        router.add(middleware: AuthenticationMiddleware(keys: keys))
        addCommandRoutes(to: router)
        addEventRoutes(to: router)
        addSubscriptionRoutes(to: router)
        addProjectionRoutes(to: router)
        addProjectionAdministrationRoutes(to: router)
        addKeyRoutes(to: router)
        addAuditRoutes(to: router)
        addErasureRoutes(to: router)
        addOperationRoutes(to: router)
        return router
    }

    /// Adds one route, recording it in ``routes``; `permission` is checked before `handler` runs.
    ///
    /// - Parameter waitsForWriter: whether the handler waits for the log's writer, and so is
    ///   answered 503 after ``HTTPLimits/requestTimeout`` (reads answer from a snapshot at once).
    func add(
        _ method: HTTPRequest.Method, _ path: String, to router: Router<TallyRequestContext>,
        permission: Permission?, waitsForWriter: Bool = false,
        _ handler: @escaping @Sendable (Request, TallyRequestContext) async throws -> Response
    ) {
        routes.add(method: method.rawValue, path: path)
        let timeout = limits.requestTimeout
        router.on(RouterPath(path), method: method) { request, context in
            if let permission { try context.authorize(permission) }
            guard waitsForWriter else { return try await handler(request, context) }
            return try await Self.answer(within: timeout) { try await handler(request, context) }
        }
    }

    /// Runs `handler`, or throws a 503 problem if it has not answered within `timeout`. A command
    /// still in the writer then finishes on its own; retrying it with the same `Idempotency-Key` is safe.
    ///
    /// The handler runs in its own task rather than a task group's child: a group waits for every
    /// child before it returns, and a command waiting on a stuck writer would hold the 503 back.
    private static func answer(
        within timeout: Duration, _ handler: @escaping @Sendable () async throws -> Response
    ) async throws -> Response {
        let work = Task { try await handler() }
        let first = FirstOutcome<Response>()
        return try await withCheckedThrowingContinuation { continuation in
            first.set(continuation)
            let timer = Task {
                try await Task.sleep(for: timeout)
                var problem = Problem(
                    "request-timeout", "The request took too long", .serviceUnavailable,
                    detail:
                        "No answer within \(timeout). A command may still complete: retry with the same Idempotency-Key."
                )
                problem.headers[.retryAfter] = "1"
                first.resume(with: .failure(problem))
            }
            Task {
                let result = await work.result
                timer.cancel()
                first.resume(with: result)
            }
        }
    }
}

/// Resumes a continuation with whichever outcome arrives first, and ignores the rest.
private final class FirstOutcome<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(with result: Result<Value, any Error>) {
        continuation.withLock { continuation in
            continuation?.resume(with: result)
            continuation = nil
        }
    }
}

// MARK: - Helpers shared by the routes

extension TallyAPI {
    /// A JSON response.
    func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The request's body, at most ``HTTPLimits/maxBodyBytes``.
    ///
    /// - Throws: a 413 problem when the body is larger.
    func body(of request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBodyBytes {
            throw bodyTooLarge()
        }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limits.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw bodyTooLarge()
        }
    }

    private func bodyTooLarge() -> Problem {
        var problem = Problem(
            "body-too-large", "The request body is too large", .contentTooLarge,
            detail: "Bodies are limited to \(limits.maxBodyBytes) bytes.")
        problem.extend("maxBytes", integer: limits.maxBodyBytes)
        return problem
    }

    /// Path parameter `name`, percent-decoded.
    func parameter(_ name: String, of context: TallyRequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw invalidParameter(name, "is not valid percent-encoded UTF-8")
        }
        return decoded
    }

    /// A page size from `limit`: the default when absent, 1…``HTTPLimits/maxPageSize`` otherwise.
    func pageSize(of request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"] else { return limits.defaultPageSize }
        guard let limit = Int(text), (1...limits.maxPageSize).contains(limit) else {
            throw invalidParameter("limit", "must be a whole number from 1 to \(limits.maxPageSize)")
        }
        return limit
    }

    /// Optional log position query parameter `name`: a whole number below 2⁶⁴ − 1 (so one after it exists).
    func position(_ name: String, of request: Request) throws -> UInt64? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = UInt64(text), value < .max else {
            throw invalidParameter(name, "must be a whole number from 0 to \(UInt64.max - 1)")
        }
        return value
    }

    /// A 400 problem naming query or path parameter `name` and what is wrong with it.
    func invalidParameter(_ name: String, _ rule: String) -> Problem {
        var problem = Problem("invalid-parameter", "A parameter is not valid", .badRequest, detail: "\(name) \(rule).")
        problem.extend("parameter", string: name)
        return problem
    }
}

/// A fixed number of slots that work takes and gives back, refusing (not waiting) when all are taken.
final class Slots: Sendable {
    private let free: Mutex<Int>

    init(_ count: Int) { free = Mutex(count) }

    /// Takes a slot; `false` if none is free.
    func enter() -> Bool {
        free.withLock { free in
            guard free > 0 else { return false }
            free -= 1
            return true
        }
    }

    /// Gives back a slot taken by ``enter()``.
    func leave() { free.withLock { $0 += 1 } }
}
