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
