/// Turns a command's type name and body (as a client sends them, for example
/// `POST /v1/commands/deposit` with a JSON body) into the domain's command.
package struct CommandRouter<Command: Sendable>: Sendable {
    /// Decodes one type's body.
    package typealias Decode = @Sendable ([UInt8]) throws -> Command

    private let routes: [String: Decode]

    /// A router over `routes`, keyed by command type name.
    package init(_ routes: [String: Decode]) { self.routes = routes }

    /// Every type name the router knows, sorted.
    package var types: [String] { routes.keys.sorted() }

    /// The command of type `type` with body `body`.
    ///
    /// - Throws: ``CommandRoutingError/unknownType(_:)`` for a type it does not know; whatever the
    ///   type's decoder throws for a body that does not fit.
    package func command(type: String, body: [UInt8]) throws -> Command {
        guard let decode = routes[type] else { throw CommandRoutingError.unknownType(type) }
        return try decode(body)
    }
}

/// Why a command could not be routed.
package enum CommandRoutingError: Error, Equatable, Sendable {
    /// No command has this type name.
    case unknownType(String)
}
