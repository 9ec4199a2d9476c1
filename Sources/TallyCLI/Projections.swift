import ArgumentParser
import Foundation
import TallyClient
import TallyCore
import TallyStore

extension Tally {
    /// Projection status (offline) and rebuilds (online).
    struct Projections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report the projections, or rebuild one.",
            subcommands: [ProjectionStatusCommand.self, Rebuild.self], defaultSubcommand: ProjectionStatusCommand.self)

        /// Asks the server to fold an async projection again from position 1.
        struct Rebuild: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Rebuild an async projection from position 1 on the running server (needs an admin key).",
                discussion: """
                    Queries keep answering while it rebuilds, each stating the position it reflects.
                    Inline projections (account-balances) are rebuilt only at start-up, on a version change.

                    Example:
                      tally projections rebuild trial-balance
                    """)
            @OptionGroup var server: OnlineOptions
            @Argument(help: "The projection's name.") var name: String

            func run() async throws {
                try await Tally.reportingFailure {
                    try await server.print { try await $0.rebuildProjection(named: name) }
                }
            }
        }
    }

    /// Reports each projection's version, position, lag and dead letters.
    struct ProjectionStatusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Report each projection: version, mode, the position it reflects, its lag and dead letters.",
            discussion: """
                Examples:
                  tally projections
                  tally projections status --output json
                """)

        @OptionGroup var store: OfflineOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Tally.reportingFailure {
                let log = try store.openLog()
                defer { log.close() }
                Printer(format: output.format).print(
                    try log.projectionStatuses(),
                    columns: [
                        ("NAME", { $0.name }), ("VERSION", { String($0.version) }), ("MODE", { $0.mode }),
                        ("POSITION", { String($0.checkpoint) }), ("LAG", { String($0.lag) }),
                        ("DEAD LETTERS", { String($0.deadLetters) }), ("STATE", { $0.state.text }),
                    ],
                    json: { status, json in
                        json.object { json in
                            json.member("name", string: status.name)
                            json.member("version", integer: status.version)
                            json.member("mode", string: status.mode)
                            json.member("position", integer: status.checkpoint)
                            json.member("lag", integer: status.lag)
                            json.member("deadLetters", integer: status.deadLetters)
                            json.member("state", string: status.state.text)
                        }
                    })
            }
        }
    }
}

extension ProjectionStatus.State {
    /// The state in one word (and the version a rebuild builds).
    var text: String {
        switch self {
        case .healthy: "healthy"
        case .degraded: "degraded"
        case .rebuilding(let version): "rebuilding v\(version)"
        }
    }
}
