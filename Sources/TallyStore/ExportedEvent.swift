import Foundation
import TallyLMDB
import TallyVerify

/// One event as `tally export` writes it (one line of NDJSON, ``RecordedEvent/json``): what an
/// import needs to put it back exactly where it was — same position, revision, id, bytes and
/// time — so the rebuilt log has the same Merkle tree.
package struct ExportedEvent: Sendable, Equatable {
    /// Where the event stood in the exported log.
    package let position: UInt64
    /// Its revision in its stream.
    package let revision: UInt64
    /// When the exported log recorded it.
    package let recordedAt: Timestamp
    /// The event itself, validated like any appended event.
    package let event: ProposedEvent

    init(position: UInt64, revision: UInt64, recordedAt: Timestamp, event: ProposedEvent) {
        self.position = position
        self.revision = revision
        self.recordedAt = recordedAt
        self.event = event
    }

    /// Reads one exported line (without its newline).
    ///
    /// - Throws: ``ImportError/malformed(_:)`` naming the member that is missing or wrong;
    ///   ``EventValidationError`` if the event breaks a rule appends enforce.
    package init(json line: [UInt8]) throws {
        guard line.first == UInt8(ascii: "{") else { throw ImportError.malformed("a line must be one JSON object") }
        var members: [String: ArraySlice<UInt8>] = [:]
        for span in try JSONValidator.topLevelSpans(of: line, as: .events) {
            if let name = span.name { members[name] = line[span.range] }
        }
        func member(_ name: String) throws -> ArraySlice<UInt8> {
            guard let value = members[name] else { throw ImportError.malformed("\(name) is missing") }
            return value
        }
        func decoded<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
            guard let value = try? JSONDecoder().decode(T.self, from: Data(try member(name))) else {
                throw ImportError.malformed("\(name) is not a \(T.self == String.self ? "string" : "list of strings")")
            }
            return value
        }
        func integer(_ name: String) throws -> UInt64 {
            guard let value = UInt64(String(decoding: try member(name), as: UTF8.self)) else {
                throw ImportError.malformed("\(name) is not a non-negative integer")
            }
            return value
        }
        position = try integer("position")
        guard position > 0 else { throw ImportError.malformed("position must be 1 or more") }
        revision = try integer("revision")
        let time = try decoded("recordedAt", as: String.self)
        guard let recordedAt = Timestamp(iso8601: time) else {
            throw ImportError.malformed("recordedAt is not a time like 2026-11-27T14:05:09.123456Z: \(time)")
        }
        self.recordedAt = recordedAt
        guard let id = UUID(uuidString: try decoded("id", as: String.self)) else {
            throw ImportError.malformed("id is not a UUID")
        }
        let event = try ProposedEvent(
            stream: try StreamID(try decoded("stream", as: String.self)), id: id,
            type: try decoded("type", as: String.self), tags: try decoded("tags", as: [String].self),
            data: Array(try member("data")), metadata: Array(try member("metadata")))
        if let erasure = members["erasure"] {
            self.event = event.erased(keeping: event.data, as: try Self.erasure(from: Array(erasure)))
        } else {
            self.event = event
        }
        // `leafHash`, which reads write too, is ignored: the leaf is always recomputed from the
        // content (``leafHash``), so an altered line is caught by the tree, never trusted.
    }

    /// Reads an erased event's `erasure` member: `{"erasedBy": <position>, "dataDigest": "<64 hex digits>"}`.
    private static func erasure(from json: [UInt8]) throws -> Erasure {
        struct Member: Decodable {
            let erasedBy: UInt64
            let dataDigest: String
        }
        guard let member = try? JSONDecoder().decode(Member.self, from: Data(json)), member.erasedBy > 0,
            let digest = [UInt8](hex: member.dataDigest), digest.count == 32
        else {
            throw ImportError.malformed(
                "erasure is not {\"erasedBy\": <position>, \"dataDigest\": \"<64 hex digits>\"}")
        }
        return Erasure(dataDigest: digest, erasedBy: member.erasedBy)
    }

    /// The event's Merkle leaf hash: the leaf the exported log holds for it, if the line is true.
    package var leafHash: [UInt8] {
        MerkleHash.leaf(
            EventRecord.leafContent(position: position, event: event, revision: revision, recordedAt: recordedAt))
    }

    /// Whether `stored` is this event, at the same place and time, byte for byte (erasure included).
    func isStored(as stored: RecordedEvent) -> Bool {
        stored.position == position
            && stored.record == EventRecord.encode(event, revision: revision, recordedAt: recordedAt)
    }
}

/// Why an import stopped; everything it committed before stays, and running it again resumes.
package enum ImportError: Error, Equatable, Sendable {
    /// A line is not an exported event.
    case malformed(String)
    /// The events do not continue the log: the next position is `expected`, the import holds `found`.
    case gap(expected: UInt64, found: UInt64)
    /// The log already holds a different event at `position`.
    case differs(position: UInt64)
    /// Put back at `position`, the event would get revision `actual` in its stream, not the exported `expected`.
    case revisionMismatch(position: UInt64, expected: UInt64, actual: UInt64)
    /// The event at `position` has an id the log already holds at another position.
    case duplicateID(position: UInt64)
}

extension LogAppender {
    /// Writes exported events back at their positions, each with its original time, then hands
    /// each written run to `applied` (the inline projectors).
    ///
    /// Events at positions the log already holds must be exactly the stored ones (so a stopped
    /// import resumes by running it again); the rest must continue the log without a gap, in
    /// their streams' order. Consecutive events recorded at the same time are appended together.
    ///
    /// - Throws: ``ImportError`` for an event that does not fit; like ``write(_:revisions:state:recordedAt:in:)``
    ///   it may have written part of the events, so the caller must abandon the transaction.
    func restore(
        _ exported: [ExportedEvent], state: inout LogState, in txn: borrowing WriteTransaction,
        applied: (AppendedEvents) throws -> Void
    ) throws -> AppendedEvents {
        var start = 0
        while start < exported.count, exported[start].position <= state.head {
            let expected = exported[start]
            guard let stored = try reader.event(at: expected.position, in: txn), expected.isStored(as: stored) else {
                throw ImportError.differs(position: expected.position)
            }
            start += 1
        }
        var entries: [RecordedEvent] = []
        var streamRevisions: [StreamID: UInt64] = [:]
        while start < exported.count {
            let recordedAt = exported[start].recordedAt
            var end = start + 1
            while end < exported.count, end - start < AppendRequest.maxEvents, exported[end].recordedAt == recordedAt {
                end += 1
            }
            let run = exported[start..<end]
            guard run[start].position == state.head + 1 else {
                throw ImportError.gap(expected: state.head + 1, found: run[start].position)
            }
            guard
                case .write(let events, let revisions) = try plan(
                    try AppendRequest(restoring: run.map(\.event)), in: txn)
            else { throw ImportError.duplicateID(position: run[start].position) }
            let appended = try write(
                events, revisions: revisions, state: &state, recordedAt: recordedAt, in: txn)
            for (entry, expected) in zip(appended.events, run) {
                guard entry.position == expected.position else {
                    throw ImportError.gap(expected: entry.position, found: expected.position)
                }
                guard entry.revision == expected.revision else {
                    throw ImportError.revisionMismatch(
                        position: entry.position, expected: expected.revision, actual: entry.revision)
                }
            }
            try applied(appended)
            entries += appended.events
            streamRevisions.merge(appended.streamRevisions) { max($0, $1) }
            start = end
        }
        return AppendedEvents(events: entries, streamRevisions: streamRevisions)
    }
}
