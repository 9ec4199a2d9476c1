import Foundation
import HTTPTypes
import TallyStore

/// Reads a raw append's JSON body into an ``AppendRequest``, taking each event's `data` and
/// `metadata` byte for byte as the log stores them.
///
/// Single stream (`POST /v1/streams/{stream}/events`):
/// `{"expectedRevision": "any"|"noStream"|"exists"|N, "events": [{"id"?, "type", "tags"?, "data", "metadata"?}], "condition"?}`.
/// Several streams (`POST /v1/events`): each event names its `stream`, and
/// `"expectedRevisions": {"<stream>": …}` replaces `expectedRevision`.
/// `condition` is `{"failIfEventsMatch": [{"types"?, "tags"?, "category"?, "streamPrefix"?}], "after": N}`.
struct AppendBody {
    let bytes: [UInt8]
    /// The stream named in the path, for a single-stream append.
    let stream: StreamID?
    let maxEvents: Int
    /// Metadata for events that bring none: who appended them and under which request.
    let defaultMetadata: [UInt8]

    func request() throws -> AppendRequest {
        let members = try object(
            bytes[...], at: "",
            allowed: stream == nil
                ? ["events", "expectedRevisions", "condition"] : ["events", "expectedRevision", "condition"])
        guard let eventsJSON = members["events"] else { throw Self.invalid("/events", "is required") }
        let elements = try JSONValidator.topLevelSpans(of: Array(eventsJSON), as: .events)
        guard eventsJSON.first == UInt8(ascii: "[") else { throw Self.invalid("/events", "must be an array") }
        guard !elements.isEmpty else { throw Self.invalid("/events", "must hold at least one event") }
        guard elements.count <= maxEvents else {
            var problem = Problem(
                "too-many-events", "The append holds too many events", .unprocessableContent,
                detail: "It holds \(elements.count) events; at most \(maxEvents) are allowed.")
            problem.extend("maxEvents", integer: maxEvents)
            throw problem
        }
        let eventsBytes = Array(eventsJSON)
        var events: [ProposedEvent] = []
        for (index, element) in elements.enumerated() {
            events.append(try event(eventsBytes[element.range], at: "/events/\(index)", index: index))
        }
        var expectations: [StreamID: ExpectedRevision] = [:]
        if let stream {
            if let expected = members["expectedRevision"] {
                expectations[stream] = try expectedRevision(expected, at: "/expectedRevision")
            }
        } else if let expected = members["expectedRevisions"] {
            for (name, value) in try object(expected, at: "/expectedRevisions", allowed: nil) {
                let stream = try streamID(name, at: "/expectedRevisions/\(name)")
                expectations[stream] = try expectedRevision(value, at: "/expectedRevisions/\(name)")
            }
        }
        let condition = try members["condition"].map { try self.condition($0) }
        do {
            return try AppendRequest(
                events: events, expectations: expectations.filter { $0.value != .any }, condition: condition)
        }
    }

    private func event(_ json: ArraySlice<UInt8>, at pointer: String, index: Int) throws -> ProposedEvent {
        let members = try object(
            json, at: pointer,
            allowed: stream == nil
                ? ["stream", "id", "type", "tags", "data", "metadata"] : ["id", "type", "tags", "data", "metadata"])
        let stream: StreamID
        if let fixed = self.stream {
            stream = fixed
        } else {
            guard let name = members["stream"] else { throw Self.invalid("\(pointer)/stream", "is required") }
            stream = try streamID(try string(name, at: "\(pointer)/stream"), at: "\(pointer)/stream")
        }
        let id = try members["id"].map { json -> UUID in
            guard let id = UUID(uuidString: try string(json, at: "\(pointer)/id")) else {
                throw Self.invalid("\(pointer)/id", "must be a UUID")
            }
            return id
        }
        guard let type = members["type"] else { throw Self.invalid("\(pointer)/type", "is required") }
        guard let data = members["data"] else { throw Self.invalid("\(pointer)/data", "is required") }
        let tags = try members["tags"].map { try strings($0, at: "\(pointer)/tags") } ?? []
        do {
            return try ProposedEvent(
                stream: stream, id: id, type: try string(type, at: "\(pointer)/type"), tags: tags, data: Array(data),
                metadata: members["metadata"].map(Array.init) ?? defaultMetadata)
        } catch var error as EventValidationError {
            error.eventIndex = index
            throw error
        }
    }

    private func condition(_ json: ArraySlice<UInt8>) throws -> AppendCondition {
        let members = try object(json, at: "/condition", allowed: ["failIfEventsMatch", "after"])
        guard let queries = members["failIfEventsMatch"] else {
            throw Self.invalid("/condition/failIfEventsMatch", "is required")
        }
        let queryBytes = Array(queries)
        guard queries.first == UInt8(ascii: "[") else {
            throw Self.invalid("/condition/failIfEventsMatch", "must be an array")
        }
        let filters = try JSONValidator.topLevelSpans(of: queryBytes, as: .condition).enumerated().map {
            index, span -> EventFilter in
            let pointer = "/condition/failIfEventsMatch/\(index)"
            let query = try object(
                queryBytes[span.range], at: pointer, allowed: ["types", "tags", "category", "streamPrefix"])
            let filter = EventFilter(
                types: Set(try query["types"].map { try strings($0, at: "\(pointer)/types") } ?? []),
                tags: Set(try query["tags"].map { try strings($0, at: "\(pointer)/tags") } ?? []),
                category: try query["category"].map { try string($0, at: "\(pointer)/category") },
                streamPrefix: try query["streamPrefix"].map { try string($0, at: "\(pointer)/streamPrefix") })
            guard filter != .all else {
                throw Self.invalid(pointer, "must name at least one type, tag, category or prefix")
            }
            return filter
        }
        let after =
            try members["after"].map { json -> UInt64 in
                guard let value = UInt64(String(decoding: json, as: UTF8.self)), value < .max else {
                    throw Self.invalid("/condition/after", "must be a whole number ≥ 0")
                }
                return value
            } ?? 0
        return AppendCondition(failIfEventsMatch: filters, after: after)
    }

    private func expectedRevision(_ json: ArraySlice<UInt8>, at pointer: String) throws -> ExpectedRevision {
        if json.first == UInt8(ascii: "\"") {
            switch try string(json, at: pointer) {
            case "any": return .any
            case "noStream": return .noStream
            case "exists": return .exists
            default: break
            }
        } else if let revision = UInt64(String(decoding: json, as: UTF8.self)) {
            return .exact(revision)
        }
        throw Self.invalid(pointer, #"must be "any", "noStream", "exists" or a revision ≥ 0"#)
    }

    private func streamID(_ name: String, at pointer: String) throws -> StreamID {
        do {
            return try StreamID(name)
        } catch {
            throw Self.invalid(pointer, "is not a valid stream name (1–200 bytes of UTF-8, no control characters)")
        }
    }

    /// The members of the JSON object `json` (already validated), refusing names not in `allowed`.
    private func object(_ json: ArraySlice<UInt8>, at pointer: String, allowed: Set<String>?) throws
        -> [String: ArraySlice<UInt8>]
    {
        let bytes = Array(json)
        let spans: [JSONSpan]
        do {
            spans = try JSONValidator.topLevelSpans(of: bytes, as: .events)
        } catch {
            // The whole body is checked first (pointer ""), so nested members are valid JSON already.
            throw pointer.isEmpty ? Problem.invalidBody(error) : Self.invalid(pointer, "is not valid JSON")
        }
        guard bytes.first == UInt8(ascii: "{") else {
            throw Self.invalid(pointer.isEmpty ? "/" : pointer, "must be an object")
        }
        var members: [String: ArraySlice<UInt8>] = [:]
        for span in spans {
            let name = span.name ?? ""
            if let allowed, !allowed.contains(name) {
                throw Self.invalid("\(pointer)/\(name)", "is not a known member")
            }
            members[name] = bytes[span.range]
        }
        return members
    }

    private func string(_ json: ArraySlice<UInt8>, at pointer: String) throws -> String {
        guard json.first == UInt8(ascii: "\""),
            let value = try? JSONSerialization.jsonObject(with: Data(json), options: .fragmentsAllowed) as? String
        else { throw Self.invalid(pointer, "must be a string") }
        return value
    }

    private func strings(_ json: ArraySlice<UInt8>, at pointer: String) throws -> [String] {
        guard json.first == UInt8(ascii: "["),
            let values = try? JSONSerialization.jsonObject(with: Data(json)) as? [Any],
            let strings = values as? [String], strings.count == values.count
        else { throw Self.invalid(pointer, "must be an array of strings") }
        return strings
    }

    /// A 400 problem naming the JSON pointer of the offending member.
    static func invalid(_ pointer: String, _ rule: String) -> Problem {
        var problem = Problem(
            "invalid-body", "The request body is not valid", .badRequest, detail: "\(pointer) \(rule).")
        problem.extend("pointer", string: pointer)
        return problem
    }
}
