package import HTTPTypes
import TallyCore

/// An RFC 9457 problem details document, served as `application/problem+json`.
///
/// `type` and `title` identify the kind of problem and never change between occurrences;
/// `detail` describes this occurrence and never contains internals. Clients match on `type`,
/// so every slug is pinned by a test.
package struct Problem: Error, Sendable, Equatable {
    /// The URI every problem type starts with; the slug follows.
    package static let typeBase = "https://tally.dev/problems/"

    /// The kind of problem: ``typeBase`` and a kebab-case slug.
    package var type: String
    /// A summary of the kind, the same for every occurrence.
    package var title: String
    /// The HTTP status.
    package var status: HTTPResponse.Status
    /// What went wrong this time, for a human; never internals (an `internal` 500 has none at all).
    package var detail: String?
    /// The request path.
    package var instance: String?
    /// Extension members, already JSON, written into the top-level object after the standard ones.
    package var extensions: [(name: String, json: [UInt8])] = []
    /// Headers the response carries besides the content type (`Retry-After`, `Allow`, `WWW-Authenticate`).
    package var headers: HTTPFields = [:]

    /// A problem of kind `slug` with `title` and `status`.
    package init(_ slug: String, _ title: String, _ status: HTTPResponse.Status, detail: String? = nil) {
        self.type = Self.typeBase + slug
        self.title = title
        self.status = status
        self.detail = detail
    }

    /// Adds an extension member whose value is a string.
    package mutating func extend(_ name: String, string value: String) {
        var json = JSONWriter()
        json.string(value)
        extensions.append((name, json.bytes))
    }

    /// Adds an extension member whose value is an integer.
    package mutating func extend(_ name: String, integer value: some BinaryInteger) {
        var json = JSONWriter()
        json.integer(value)
        extensions.append((name, json.bytes))
    }

    /// Adds an extension member whose value `write` writes.
    mutating func extend(_ name: String, _ write: (inout JSONWriter) -> Void) {
        var json = JSONWriter()
        write(&json)
        extensions.append((name, json.bytes))
    }

    /// The document's JSON.
    package var json: [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.member("type", string: type)
            json.member("title", string: title)
            json.member("status", integer: status.code)
            if let detail { json.member("detail", string: detail) }
            if let instance { json.member("instance", string: instance) }
            for (name, value) in extensions { json.member(name, raw: value) }
        }
        return json.bytes
    }

    package static func == (lhs: Problem, rhs: Problem) -> Bool {
        lhs.json == rhs.json && lhs.headers == rhs.headers
    }
}

extension HTTPResponse.Status {
    /// 507: the disk or the map is full.
    package static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}
