import ArgumentParser
import Foundation
import LedgerProjection
import TallyClient
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
                Every answer states the log position it reflects (on stderr for tables). Reads the
                data directory, or with --url (or TALLY_URL) goes through a running server.

                Examples:
                  tally query account-balances a-1
                  tally query account-statements --prefix a-1: --output json
                  tally query trial-balance
                  tally query account-balances a-1 --url http://127.0.0.1:8080 --token "$(cat tally-data/admin.key)"
                """)

        @OptionGroup var source: SourceOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var query: ProjectionQuery
        @Option(help: "Wait (at most 10 s) until the projection reflects this log position, e.g. your last write's.")
        var minPosition: UInt64?

        func run() async throws {
            try await Tally.reportingFailure {
                let (documents, position) = try await source.read { log in
                    try waitForMinPosition(in: log)
                    return try query.read(from: log)
                } online: { client in
                    try await query.read(through: client, minPosition: minPosition)
                }
                query.print(documents, at: position, as: output.format)
            }
        }

        /// Polls the read-only log until the projection reaches `--min-position`, as the server waits for it.
        private func waitForMinPosition(in log: ReadOnlyLog) throws {
            guard let minPosition else { return }
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                guard let position = try log.queryProjection(named: query.projection, { _, _, position in position })
                else { throw EventLogError.unknownProjection(query.projection) }
                if position >= minPosition { return }
                guard ContinuousClock.now < deadline else {
                    throw QueryError.behind(projection: query.projection, position: position, wanted: minPosition)
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }
}

/// What to read from a projection — one document by key, or a page by key prefix — and how it prints.
struct ProjectionQuery: ParsableArguments {
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

    /// The documents and the position they reflect, read from `log` (a data directory or a replay).
    func read(from log: some ProjectionReading) throws -> ([ProjectionDocument], UInt64) {
        guard let queries = LedgerCommand.queries.first(where: { $0.projectionName == projection }) else {
            throw EventLogError.unknownProjection(projection)
        }
        let answer = try log.queryProjection(named: projection) { txn, table, position in
            if let key {
                let document = try queries.document(forKey: key, in: table, txn: txn)
                return (document.map { [ProjectionDocument(key: key, json: $0)] } ?? [], position)
            }
            return (try queries.documents(prefix: prefix, after: after, limit: limit, in: table, txn: txn), position)
        }
        guard let (documents, position) = answer else { throw EventLogError.unknownProjection(projection) }
        if let key, documents.isEmpty {
            throw QueryError.noDocument(projection: projection, key: key, position: position)
        }
        return (documents, position)
    }

    /// The documents and the position they reflect, through the server.
    func read(through client: TallyClient, minPosition: UInt64?) async throws -> ([ProjectionDocument], UInt64) {
        let path = "/v1/projections/\(TallyClient.pathSegment(projection))"
        if let key {
            let fields = JSONFields(
                try await client.get(
                    "\(path)/\(TallyClient.pathSegment(key))", query: [("minPosition", minPosition.map(String.init))]
                ).body)
            guard let value = fields.raw("value"), let position = UInt64(fields.text("position")) else {
                throw TallyClientError.unexpectedAnswer("a document without value or position")
            }
            return ([ProjectionDocument(key: key, json: Array(value))], position)
        }
        let answer = try await client.get(
            path,
            query: [
                ("prefix", prefix.isEmpty ? nil : prefix), ("after", after), ("limit", String(limit)),
                ("minPosition", minPosition.map(String.init)),
            ])
        let page = try ServerPage(answer, items: "documents", cursor: "after")
        guard let position = UInt64(page.fields.text("position")) else {
            throw TallyClientError.unexpectedAnswer("a page of documents without its position")
        }
        let documents = try page.items.map { item in
            let fields = JSONFields(item)
            guard let value = fields.raw("value") else {
                throw TallyClientError.unexpectedAnswer("a document without value")
            }
            return ProjectionDocument(key: fields.text("key"), json: Array(value))
        }
        return (documents, position)
    }

    /// Prints `documents` as of `position`, noting the position on stderr for a table.
    func print(_ documents: [ProjectionDocument], at position: UInt64, as format: OutputFormat) {
        if format == .table {
            FileHandle.standardError.write(Data("tally: \(projection) as of position \(position)\n".utf8))
        }
        Printer(format: format).print(
            documents.map { document(key: $0.key, position: position, value: $0.json) },
            columns: [.field("KEY", "key", width: 60), .field("VALUE", "value", width: 200)])
        if key == nil, documents.count == limit, let last = documents.last { noteNextPage("--after", last.key) }
    }

    /// One document as the CLI prints it: `{"key", "position", "value"}`.
    private func document(key: String, position: UInt64, value: [UInt8]) -> [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.member("key", string: key)
            json.member("position", integer: position)
            json.member("value", raw: value)
        }
        return json.bytes
    }
}

/// Why a query found nothing to print.
enum QueryError: Error, CustomStringConvertible {
    case noDocument(projection: String, key: String, position: UInt64)
    /// The projection stayed behind `wanted` for the whole wait.
    case behind(projection: String, position: UInt64, wanted: UInt64)

    var description: String {
        switch self {
        case .noDocument(let projection, let key, let position):
            "\(projection) has no document \(key) as of position \(position)"
        case .behind(let projection, let position, let wanted):
            "\(projection) is at position \(position), still short of \(wanted) after 10 s; is tally serve running its projections?"
        }
    }
}
