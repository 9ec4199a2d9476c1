import HTTPTypes
import Hummingbird
import LedgerProjection
import Logging
import TallyCore
import TallyLMDB
import TallyStore
import TallyVerify

extension TallyAPI {
    /// Projection status, documents by key and by prefix, each answer stamped with the position it reflects.
    func addProjectionRoutes(to router: Router<TallyRequestContext>) {
        add(.get, "/v1/projections", to: router, permission: .readProjections) { _, _ in
            let statuses = try log.projectionStatuses()
            var json = JSONWriter()
            json.object { json in
                json.key("projections")
                json.array { json in
                    for status in statuses { json.write(status) }
                }
            }
            return self.json(json.bytes)
        }
        add(.get, "/v1/projections/{name}", to: router, permission: .readProjections) { request, context in
            let name = try parameter("name", of: context)
            let queries = try self.queries(named: name)
            let prefix = request.uri.queryParameters["prefix"].map(String.init) ?? ""
            let after = request.uri.queryParameters["after"].map(String.init)
            let limit = try pageSize(of: request)
            let answer = try await queryProjection(named: name, for: request) { txn, table, position in
                (try queries.documents(prefix: prefix, after: after, limit: limit, in: table, txn: txn), position)
            }
            guard let (documents, position) = answer else { throw EventLogError.unknownProjection(name) }
            let next =
                documents.count == limit
                ? link(
                    "/v1/projections/\(context.parameters.get("name") ?? name)",
                    [
                        "prefix": prefix.isEmpty ? nil : prefix, "after": documents.last?.key,
                        "limit": request.uri.queryParameters["limit"].map(String.init),
                        "asOf": request.uri.queryParameters["asOf"].map(String.init),
                    ], request)
                : nil
            var json = JSONWriter()
            json.object { json in
                json.member("projection", string: name)
                json.member("position", integer: position)
                json.key("documents")
                json.array { json in
                    for document in documents {
                        json.object { json in
                            json.member("key", string: document.key)
                            json.member("value", raw: document.json)
                        }
                    }
                }
                json.member("next", optionalString: next)
            }
            var headers: HTTPFields = [.tallyPosition: String(position)]
            if let next { headers[.link] = "<\(next)>; rel=\"next\"" }
            return self.json(json.bytes, headers: headers)
        }
        add(.get, "/v1/projections/{name}/{key}", to: router, permission: .readProjections) { request, context in
            let name = try parameter("name", of: context)
            let key = try parameter("key", of: context)
            let queries = try self.queries(named: name)
            let answer = try await queryProjection(named: name, for: request) { txn, table, position in
                (try queries.document(forKey: key, in: table, txn: txn), position)
            }
            guard let (document, position) = answer else { throw EventLogError.unknownProjection(name) }
            guard let document else {
                var problem = Problem(
                    "document-not-found", "No such document", .notFound,
                    detail: "\(name) has no document \(key) as of position \(position).")
                problem.extend("position", integer: position)
                problem.headers[.tallyPosition] = String(position)
                throw problem
            }
            var json = JSONWriter()
            json.object { json in
                json.member("projection", string: name)
                json.member("key", string: key)
                json.member("position", integer: position)
                json.member("value", raw: document)
            }
            return self.json(json.bytes, headers: [.tallyPosition: String(position)])
        }
    }

    /// `POST /v1/projections/{name}/rebuild` (admin): fold an async projection again from position 1.
    func addProjectionAdministrationRoutes(to router: Router<TallyRequestContext>) {
        add(.post, "/v1/projections/{name}/rebuild", to: router, permission: .manageProjections, waitsForWriter: true) {
            _, context in
            let name = try parameter("name", of: context)
            try await log.rebuildProjection(named: name)
            context.logger.notice("Projection rebuild started", metadata: ["projector.name": .string(name)])
            var json = JSONWriter()
            json.object { json in
                json.member("projection", string: name)
                json.member("position", integer: 0)
                json.member("state", string: "rebuilding")
            }
            return self.json(json.bytes, status: .accepted, headers: [.tallyPosition: "0"])
        }
    }

    private func queries(named name: String) throws -> any ProjectionQueries {
        guard let queries = queries[name] else { throw EventLogError.unknownProjection(name) }
        return queries
    }

    /// Runs a query of projection `name` on the live read model (after waiting for `minPosition`,
    /// if the request names one), or, for `asOf=N`, on a copy folded afresh from events 1...N.
    ///
    /// - Throws: 400 for `asOf` with `minPosition`; 422 `as-of-too-far` beyond
    ///   ``HTTPLimits/maxAsOfEvents``; 503 `busy` when ``HTTPLimits/maxConcurrentAsOf`` replays run.
    private func queryProjection<R>(
        named name: String, for request: Request,
        _ body: (borrowing ReadTransaction, ProjectionTable, UInt64) throws -> R
    ) async throws -> R? {
        guard let asOf = try position("asOf", of: request) else {
            try await waitForMinPosition(of: request, projection: name)
            return try log.queryProjection(named: name, body)
        }
        guard request.uri.queryParameters["minPosition"] == nil else {
            throw invalidParameter("minPosition", "cannot be combined with asOf (an as-of answer is exactly at asOf)")
        }
        let head = try log.treeHead().size
        guard asOf <= head else { throw EventLogError.treeTooSmall(size: head, requested: asOf) }
        guard asOf <= limits.maxAsOfEvents else {
            var problem = Problem(
                "as-of-too-far", "Too much history to replay here", .unprocessableContent,
                detail:
                    "An as-of query folds events 1 to asOf afresh; this server does that for at most \(limits.maxAsOfEvents) events. Use tally replay --to-position \(asOf) on the data directory."
            )
            problem.extend("maxAsOf", integer: limits.maxAsOfEvents)
            throw problem
        }
        guard asOfReplays.enter() else {
            var problem = Problem(
                "busy", "The server is busy", .serviceUnavailable,
                detail: "\(limits.maxConcurrentAsOf) as-of queries are replaying; retry shortly.")
            problem.headers[.retryAfter] = "1"
            throw problem
        }
        defer { asOfReplays.leave() }
        let replay = try await ReplayedLog(
            of: log, to: asOf, inlineProjectors: LedgerCommand.inlineProjectors,
            asyncProjectors: LedgerCommand.asyncProjectors)
        defer { replay.close() }
        return try replay.log.queryProjection(named: name, body)
    }

    /// Waits (at most ``HTTPLimits/maxProjectionWait``) until the projection reflects `minPosition`.
    ///
    /// A position beyond the log's last one is refused at once: no write the client made can be
    /// there (its receipt came after the commit), so waiting would only hold the connection.
    ///
    /// - Throws: a 400 problem for a position beyond the log's head; a 503 problem if the
    ///   projection does not get there in time.
    private func waitForMinPosition(of request: Request, projection name: String) async throws {
        guard let minimum = try position("minPosition", of: request) else { return }
        let head = try log.snapshot { _, head in head }
        guard minimum <= head else {
            throw invalidParameter("minPosition", "is beyond the log's last position, \(head)")
        }
        guard try await log.waitForProjection(named: name, toReach: minimum, timeout: limits.maxProjectionWait) != nil
        else {
            var problem = Problem(
                "projection-behind", "The projection has not reached the position yet", .serviceUnavailable,
                detail: "\(name) did not reach position \(minimum) within \(limits.maxProjectionWait).")
            problem.extend("minPosition", integer: minimum)
            problem.headers[.retryAfter] = "1"
            throw problem
        }
    }
}
