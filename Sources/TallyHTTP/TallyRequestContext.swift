package import Hummingbird
import Logging

/// What every request carries through Tally's middleware: its id and who sent it.
package struct TallyRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The request's correlation id: the client's `X-Request-ID`, or one made up for it.
    package var requestID = ""
    /// Who the request's credentials name, once ``AuthenticationMiddleware`` has looked.
    package var credentials = Credentials.none

    /// A context for a request arriving through `source`.
    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are collected explicitly with ``HTTPLimits/maxBodyBytes``; this bounds everything else.
    package var maxUploadSize: Int { 1 << 20 }
}

/// What a request's `Authorization` header proved.
package enum Credentials: Sendable, Equatable {
    /// No `Authorization` header.
    case none
    /// A header that names no live key, or is not a bearer token.
    case invalid
    /// A live key.
    case key(APIKey)

    /// The key's id, for logs; never the secret.
    var principal: String? {
        if case .key(let key) = self { return key.id }
        return nil
    }
}

extension TallyRequestContext {
    /// Checks that the request's key may do `permission`.
    ///
    /// - Throws: a 401 ``Problem`` without a live key; a 403 one when the key's role lacks `permission`.
    func authorize(_ permission: Permission) throws {
        switch credentials {
        case .none:
            var problem = Problem(
                "unauthorized", "Authentication required", .unauthorized,
                detail: "Send an API key as Authorization: Bearer <key>.")
            problem.headers[.wwwAuthenticate] = #"Bearer realm="tally""#
            throw problem
        case .invalid:
            var problem = Problem(
                "unauthorized", "Authentication required", .unauthorized,
                detail: "The API key is not valid or was revoked.")
            problem.headers[.wwwAuthenticate] = #"Bearer realm="tally", error="invalid_token""#
            throw problem
        case .key(let key):
            guard key.role.permissions.contains(permission) else {
                var problem = Problem(
                    "forbidden", "The key's role may not do this", .forbidden,
                    detail: "Role \(key.role.rawValue) lacks the \(permission.rawValue) permission.")
                problem.extend("role", string: key.role.rawValue)
                problem.extend("permission", string: permission.rawValue)
                throw problem
            }
        }
    }

    /// The principal events' metadata records as their actor: `key:<id>`.
    var actor: String? { credentials.principal.map { "key:\($0)" } }
}
