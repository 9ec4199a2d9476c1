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

        @OptionGroup var source: SourceOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Tally.reportingFailure {
                let statuses = try await source.read { log in
                    try log.projectionStatuses().map { status in
                        var json = JSONWriter()
                        json.write(status)
                        return json.bytes
                    }
                } online: { client in
                    try ServerPage(try await client.get("/v1/projections"), items: "projections", cursor: "after").items
                }
                Printer(format: output.format).print(
                    statuses,
                    columns: [
                        .field("NAME", "name", width: 60), .field("VERSION", "version"), .field("MODE", "mode"),
                        .field("POSITION", "position"), .field("LAG", "lag"), .field("DEAD LETTERS", "deadLetters"),
                        Column(header: "STATE") { fields in
                            fields.text("state")
                                + (fields.raw("rebuildingVersion").map { " v" + String(decoding: $0, as: UTF8.self) }
                                    ?? "")
                        },
                    ])
            }
        }
    }
}
