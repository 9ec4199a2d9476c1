import ArgumentParser
import Foundation
import TallyClient

extension Tally {
    /// Erases the data of events through a running server (GDPR).
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase the data of events (for example a data subject's), keeping every proof valid.",
            discussion: """
                Each event keeps its position, stream, type, tags, metadata, time and
                Merkle leaf; its data becomes null, or with --field the object without
                those members. Every read model forgets the erased data, or refuses the
                whole erasure if it cannot do without it (the ledger's only personal
                data is an account's owner). The erasure is recorded as an eventsErased
                event in stream $erasures, with the reason and the key that asked.
                Needs an admin key. Prints the erasure's receipt, the positions erased,
                and those already erased as asked.

                Examples:
                  tally erase 1 --field owner --reason "GDPR request 2026-118"
                  tally erase 12 13 14 --reason "retention over" --url http://10.0.0.5:8080
                """)

        @OptionGroup var server: OnlineOptions
        @Argument(help: "The positions of the events whose data goes (at most 1000).") var positions: [UInt64]
        @Option(name: .customLong("field"), help: "Erase only this top-level member of each event's data (repeatable).")
        var fields: [String] = []
        @Option(help: "Why (a ticket or legal basis; never the erased data itself), recorded with the erasure.")
        var reason: String

        func run() async throws {
            try await Tally.reportingFailure {
                try await server.print { client in
                    try await client.erase(positions: positions, fields: fields.isEmpty ? nil : fields, reason: reason)
                }
            }
        }
    }
}
