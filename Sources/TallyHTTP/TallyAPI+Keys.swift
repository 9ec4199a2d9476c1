import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TallyCore

extension TallyAPI {
    /// API key administration (role `admin`): create (the token is shown once), list, revoke.
    func addKeyRoutes(to router: Router<TallyRequestContext>) {
        add(.post, "/v1/keys", to: router, permission: .manageKeys) { request, context in
            let body = try await body(of: request)
            let fields: NewKey
            do {
                fields = try JSONDecoder().decode(NewKey.self, from: Data(body))
            } catch {
                throw AppendBody.invalid(
                    "/", #"must be {"name": "<label>", "role": "admin|writer|submitter|reader|auditor"}"#)
            }
            guard (1...200).contains(fields.name.utf8.count) else {
                throw AppendBody.invalid("/name", "must be 1–200 bytes")
            }
            let (key, token) = try keys.create(name: fields.name, role: fields.role)
            context.logger.notice(
                "API key created", metadata: ["auth.key": .string(key.id), "auth.role": .string(key.role.rawValue)])
            var json = JSONWriter()
            json.object { json in
                json.write(key)
                json.member("token", string: token)
            }
            return self.json(json.bytes, status: .created)
        }
        add(.get, "/v1/keys", to: router, permission: .manageKeys) { _, _ in
            var json = JSONWriter()
            json.object { json in
                json.key("keys")
                json.array { json in for key in keys.list() { json.object { json in json.write(key) } } }
            }
            return self.json(json.bytes)
        }
        add(.delete, "/v1/keys/{id}", to: router, permission: .manageKeys) { _, context in
            let id = try parameter("id", of: context)
            guard let key = try keys.revoke(id: id) else {
                throw Problem("key-not-found", "No such API key", .notFound, detail: "No key has id \(id).")
            }
            context.logger.notice("API key revoked", metadata: ["auth.key": .string(key.id)])
            var json = JSONWriter()
            json.object { json in json.write(key) }
            return self.json(json.bytes)
        }
    }
}

/// The body of `POST /v1/keys`.
private struct NewKey: Decodable {
    let name: String
    let role: Role
}
