import ArgumentParser
import Foundation
import LedgerProjection
import TallyCore
import TallyStore

extension Tally {
    /// Reads a projection's documents.
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a projection: one document by key, or a page of documents by key prefix.",
            discussion: """
                Projections: account-balances (by account id), account-statements (by
                <account>:<revision>, e.g. --prefix a-1:), trial-balance (by currency).
                Every answer states the log position it reflects (on stderr for tables).

                Examples:
                  tally query account-balances a-1
                  tally query account-statements --prefix a-1: --output json
                  tally query trial-balance
                """)

        @OptionGroup var store: OfflineOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The projection's name.") var projection: String
        @Argument(help: "One document's key; without it, a page of documents.") var key: String?
        @Option(help: "Only documents whose keys start with this.") var prefix = ""
        @Option(help: "Start after this key (the cursor a previous page named).") var after: String?
        @Option(help: "The most documents to list (1–10000).") var limit = 100

        func validate() throws {
            guard (1...10_000).contains(limit) else {
                throw ValidationError("--limit must be between 1 and 10000, not \(limit).")
            }
        }

        func run() async throws {
            try await Tally.reportingFailure {
                guard let queries = LedgerCommand.queries.first(where: { $0.projectionName == projection }) else {
                    throw EventLogError.unknownProjection(projection)
                }
                let log = try store.openLog()
                defer { log.close() }
                let answer = try log.queryProjection(named: projection) { txn, table, position in
                    if let key {
                        let document = try queries.document(forKey: key, in: table, txn: txn)
                        return (document.map { [ProjectionDocument(key: key, json: $0)] } ?? [], position)
                    }
                    return (
                        try queries.documents(prefix: prefix, after: after, limit: limit, in: table, txn: txn), position
                    )
                }
                guard let (documents, position) = answer else { throw EventLogError.unknownProjection(projection) }
                if let key, documents.isEmpty {
                    throw QueryError.noDocument(projection: projection, key: key, position: position)
                }
                let format = output.format
                if format == .table {
                    FileHandle.standardError.write(Data("tally: \(projection) as of position \(position)\n".utf8))
                }
                Printer(format: format).print(
                    documents,
                    columns: [("KEY", { $0.key }), ("VALUE", { String(decoding: $0.json, as: UTF8.self) })],
                    json: { document, json in
                        json.object { json in
                            json.member("key", string: document.key)
                            json.member("position", integer: position)
                            json.member("value", raw: document.json)
                        }
                    })
                if key == nil, documents.count == limit, let last = documents.last { noteNextPage("--after", last.key) }
            }
        }
    }
}

/// Why a query found nothing to print.
enum QueryError: Error, CustomStringConvertible {
    case noDocument(projection: String, key: String, position: UInt64)

    var description: String {
        switch self {
        case .noDocument(let projection, let key, let position):
            "\(projection) has no document \(key) as of position \(position)"
        }
    }
}
