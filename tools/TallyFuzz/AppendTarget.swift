import Foundation
import HTTPTypes
@testable import TallyHTTP
import TallyStore

/// Reads the input as a raw append body, once for `POST /v1/streams/{stream}/events` and once for
/// `POST /v1/events`, as the server does.
///
/// Properties: every refusal is a 4xx problem whose document is valid JSON (never a 500); every
/// accepted append has as many events as Foundation sees in `events`, each event's type, stream,
/// tags and `data` are what Foundation reads there, and `data` is kept byte for byte from the body.
func fuzzAppendBody(_ bytes: [UInt8]) {
    for stream in [try? StreamID("fuzz-1"), nil] {
        let body = AppendBody(bytes: bytes, stream: stream, maxEvents: 50, defaultMetadata: Array("{}".utf8))
        let request: AppendRequest
        do {
            request = try body.request()
        } catch {
            requireClientProblem(for: error)
            continue
        }
        let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        guard let events = parsed?["events"] as? [[String: Any]] else {
            return require(false, "an accepted body has no array of event objects for Foundation")
        }
        require(
            events.count == request.events.count, "\(request.events.count) events read, Foundation sees \(events.count)"
        )
        for (event, json) in zip(request.events, events) {
            require(event.type == json["type"] as? String, "type \(event.type) differs from Foundation's")
            require(event.stream.rawValue == (stream?.rawValue ?? json["stream"] as? String), "the stream differs")
            let tags = json["tags"] as? [String] ?? []
            require(event.tags == tags.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }, "tags differ")
            require(bytes.indices(of: event.data) != nil, "data is not a slice of the body")
            let data = try? JSONSerialization.jsonObject(with: Data(event.data), options: .fragmentsAllowed)
            require(sameJSON(data, json["data"]), "data is not the value Foundation reads")
        }
    }
}

/// Traps unless `error` maps to a 4xx problem whose document is valid JSON.
func requireClientProblem(for error: any Error) {
    let problem = Problem(for: error)
    require((400..<500).contains(problem.status.code), "\(error) answers \(problem.status.code)")
    require((try? JSONValidator.validate(problem.json, as: .data)) != nil, "the problem document is not JSON")
}

/// Whether two values Foundation parsed are the same JSON value.
func sameJSON(_ left: Any?, _ right: Any?) -> Bool {
    guard let left, let right else { return left == nil && right == nil }
    return NSArray(array: [left]).isEqual(to: [right])
}

extension [UInt8] {
    /// Where `slice` occurs in the array, if it does.
    fileprivate func indices(of slice: [UInt8]) -> Range<Int>? {
        guard slice.count <= count else { return nil }
        for start in 0...(count - slice.count) where self[start..<start + slice.count].elementsEqual(slice) {
            return start..<start + slice.count
        }
        return nil
    }
}
