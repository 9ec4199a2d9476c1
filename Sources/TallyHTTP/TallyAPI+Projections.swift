import HTTPTypes
import Hummingbird
import Logging
import TallyCore
import TallyStore

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
            try await waitForMinPosition(of: request, projection: name)
            let prefix = request.uri.queryParameters["prefix"].map(String.init) ?? ""
            let after = request.uri.queryParameters["after"].map(String.init)
            let limit = try pageSize(of: request)
            let answer = try log.queryProjection(named: name) { txn, table, position in
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
            try await waitForMinPosition(of: request, projection: name)
            let answer = try log.queryProjection(named: name) { txn, table, position in
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
