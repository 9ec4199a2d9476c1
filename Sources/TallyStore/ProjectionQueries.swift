package import TallyLMDB

/// How a read model answers queries: one JSON document per key, and pages of documents by key
/// prefix. What `GET /v1/projections/{name}/{key}` and the CLI's `query` serve.
///
/// Keys are text chosen by the read model; a page's order is the read model's storage order,
/// and a page's last key is the cursor for the next.
package protocol ProjectionQueries: Sendable {
    /// The name of the projector whose table these queries read.
    var projectionName: String { get }
    /// The document under `key`, or `nil` if there is none.
    func document(forKey key: String, in table: ProjectionTable, txn: borrowing ReadTransaction) throws -> [UInt8]?
    /// Up to `limit` documents whose keys start with `prefix`, after the key `after`.
    func documents(
        prefix: String, after: String?, limit: Int, in table: ProjectionTable, txn: borrowing ReadTransaction
    ) throws -> [ProjectionDocument]
}

/// One document of a read model and the key it is found under.
package struct ProjectionDocument: Sendable, Equatable {
    /// The document's key.
    package let key: String
    /// The document, one JSON object.
    package let json: [UInt8]

    /// A document `json` under `key`.
    package init(key: String, json: [UInt8]) {
        self.key = key
        self.json = json
    }
}

/// A log whose read models can be queried: the serving ``EventLog``, an offline ``ReadOnlyLog``,
/// and a ``ReplayedLog``'s scratch log.
package protocol ProjectionReading: LogReading {
    /// Runs `body` against one snapshot of the projection named `name`: its table and the log
    /// position its contents reflect; `nil` if there is no such projection.
    func queryProjection<R>(
        named name: String, _ body: (borrowing ReadTransaction, ProjectionTable, UInt64) throws -> R
    ) throws -> R?
}

extension EventLog: ProjectionReading {}
extension ReadOnlyLog: ProjectionReading {}
