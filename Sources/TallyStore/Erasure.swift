import Crypto
import Foundation
import TallyCore
import TallyLMDB

/// What an erasure left of an event's data: the event's Merkle leaf still commits to the data as
/// appended, through its digest, so every proof and checkpoint stays valid.
package struct Erasure: Sendable, Hashable {
    /// SHA-256 of the data as appended (32 bytes).
    package let dataDigest: [UInt8]
    /// The position of the erasure event (in ``StreamID/erasures``) that erased it.
    package let erasedBy: UInt64

    /// An erasure record, as stored in a tombstone or read from an export.
    package init(dataDigest: [UInt8], erasedBy: UInt64) {
        self.dataDigest = dataDigest
        self.erasedBy = erasedBy
    }
}

/// An administrator's request to erase the data of some events — for example everything that
/// identifies a data subject who asked to be forgotten. The events stay (position, stream, type,
/// tags, metadata, time); their `data` is replaced by a tombstone, and the erasure itself is
/// appended as an `eventsErased` event in ``StreamID/erasures`` saying what was erased, why, and by whom.
package struct ErasureRequest: Sendable, Equatable {
    /// The most events one erasure may name.
    package static let maxPositions = 1000
    /// The longest reason, in UTF-8 bytes.
    package static let maxReasonBytes = 1000
    /// The erasure event's type.
    package static let eventType = "eventsErased"

    /// The positions of the events whose data goes, ascending, without duplicates.
    package let positions: [UInt64]
    /// The top-level members of each event's data object to erase; `nil` erases the whole data.
    package let fields: [String]?
    /// Why, for the record (a ticket or legal basis; never the erased data itself).
    package let reason: String
    /// The erasure event's metadata: who asked (actor), correlation id.
    package let metadata: [UInt8]

    /// Validates an erasure request.
    ///
    /// - Throws: ``InvalidErasure`` naming what is wrong; ``EventValidationError`` if `metadata` is not a JSON object.
    package init(positions: [UInt64], fields: [String]? = nil, reason: String, metadata: [UInt8] = [])
        throws
    {
        guard !positions.isEmpty else { throw InvalidErasure("positions must name at least one event") }
        guard positions.count <= Self.maxPositions else {
            throw InvalidErasure("at most \(Self.maxPositions) positions per erasure")
        }
        guard !positions.contains(0) else { throw InvalidErasure("positions start at 1") }
        if let fields {
            guard !fields.isEmpty else { throw InvalidErasure("fields, when given, must name at least one member") }
            guard Set(fields).count == fields.count else { throw InvalidErasure("fields holds a duplicate") }
            guard fields.allSatisfy({ !$0.isEmpty && $0.utf8.count <= ProposedEvent.maxNameBytes }) else {
                throw InvalidErasure("each field is a member name of 1-\(ProposedEvent.maxNameBytes) bytes")
            }
        }
        guard !reason.isEmpty, reason.utf8.count <= Self.maxReasonBytes,
            !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw InvalidErasure("reason must be 1-\(Self.maxReasonBytes) bytes of text without control characters")
        }
        self.positions = Array(Set(positions)).sorted()
        self.fields = fields
        self.reason = reason
        self.metadata = metadata
        _ = try event(id: UUID())  // checks the metadata now, not in the writer
    }

    /// The erasure event: `{"positions": […], "fields": […], "reason": …}` (no `fields`: all the data).
    func event(id: UUID) throws -> ProposedEvent {
        var json = JSONWriter()
        json.object { json in
            json.key("positions")
            json.array { json in for position in positions { json.integer(position) } }
            if let fields {
                json.key("fields")
                json.array { json in for field in fields { json.string(field) } }
            }
            json.member("reason", string: reason)
        }
        return try ProposedEvent(
            stream: .erasures, id: id, type: Self.eventType, data: json.bytes, metadata: metadata)
    }

    /// What erasing leaves of `data`: `null`, or the object without the erased members.
    ///
    /// - Throws: ``EventLogError/notErasable(position:reason:)`` if members are to go from data that is not an object.
    func kept(of data: ArraySlice<UInt8>, at position: UInt64) throws -> [UInt8] {
        guard let fields else { return Array("null".utf8) }
        let bytes = Array(data)
        guard bytes.first == UInt8(ascii: "{") else {
            throw EventLogError.notErasable(position: position, reason: "its data is not an object: erase it whole")
        }
        let erased = Set(fields)
        var json = JSONWriter()
        try json.object { json in
            for span in try JSONValidator.topLevelSpans(of: bytes, as: .data) {
                guard let name = span.name, !erased.contains(name) else { continue }
                json.member(name, raw: bytes[span.range])
            }
        }
        return json.bytes
    }
}

/// An erasure request that cannot be carried out as written.
package struct InvalidErasure: Error, Equatable, Sendable {
    /// What is wrong, for the requester.
    package let message: String

    init(_ message: String) { self.message = message }
}

/// Thrown by a projector's ``Projector/forget(_:in:txn:)`` when its read model cannot be folded
/// without the erased data (say, an amount a balance is the sum of): the whole erasure is refused.
package struct ErasureRefusal: Error, Equatable, Sendable {
    /// Why, naming what the read model needs.
    package let reason: String

    /// A refusal saying why.
    package init(_ reason: String) { self.reason = reason }
}

/// What an erasure did.
package struct ErasureReceipt: Sendable, Equatable {
    /// The append of the erasure event; `nil` if nothing needed erasing (every event was already
    /// erased as asked), in which case nothing was written.
    package let receipt: AppendReceipt?
    /// The positions whose data this erasure changed.
    package let erased: [UInt64]
    /// The positions already erased as asked, left as they were.
    package let unchanged: [UInt64]
}

extension StreamID {
    /// The stream holding one `eventsErased` event per erasure; only the log writes to it.
    package static let erasures = StreamID(stored: "$erasures")

    /// Whether the name is one of the log's own streams (starting with `$`), which clients may not append to.
    package var isReserved: Bool { rawValue.utf8.first == UInt8(ascii: "$") }
}

extension LogAppender {
    /// Erases the data of the events `request` names, inside the writer's transaction: rewrites
    /// each record with a tombstone, appends the erasure event, and lets every projector that
    /// wants an erased event forget it (`forget`, which may refuse the erasure).
    ///
    /// Checks every named event before writing anything; a refusal from `forget` comes after
    /// writes, so like ``write(_:revisions:state:recordedAt:in:)`` a failure means
    /// the caller must abandon the transaction.
    ///
    /// - Throws: ``EventLogError/eventNotFound(position:)``, ``EventLogError/notErasable(position:reason:)``,
    ///   or whatever `forget` throws.
    func erase(
        _ request: ErasureRequest, state: inout LogState, recordedAt: Timestamp,
        in txn: borrowing WriteTransaction, forget: (RecordedEvent) throws -> Void
    ) throws -> (appended: AppendedEvents?, receipt: (erased: [UInt64], unchanged: [UInt64])) {
        let erasedBy = state.head + 1
        var rewritten: [(position: UInt64, record: [UInt8])] = []
        var unchanged: [UInt64] = []
        for position in request.positions {
            guard let stored = try reader.event(at: position, in: txn) else {
                throw EventLogError.eventNotFound(position: position)
            }
            guard stored.stream != .erasures else {
                throw EventLogError.notErasable(position: position, reason: "the record of an erasure is kept whole")
            }
            let wholeDataGone = stored.erasure != nil && stored.data.elementsEqual("null".utf8)
            let kept = wholeDataGone ? Array(stored.data) : try request.kept(of: stored.data, at: position)
            guard !kept.elementsEqual(stored.data) else {
                unchanged.append(position)
                continue
            }
            let digest = stored.erasure?.dataDigest ?? Array(SHA256.hash(data: stored.data))
            let event = try ProposedEvent(recorded: stored)
                .erased(keeping: kept, as: Erasure(dataDigest: digest, erasedBy: erasedBy))
            rewritten.append(
                (position, EventRecord.encode(event, revision: stored.revision, recordedAt: stored.recordedAt)))
        }
        guard !rewritten.isEmpty else { return (nil, ([], unchanged)) }
        for (position, record) in rewritten {
            try txn.put(record, forKey: position.bigEndianBytes, in: schema.events)
            try forget(try RecordedEvent(position: position, record: record))
        }
        let event = try request.event(id: UUID.version7())
        let revision = try reader.streamHead(.erasures, in: txn)?.revision
        let appended = try write(
            [event], revisions: [.erasures: revision], state: &state, recordedAt: recordedAt,
            in: txn)
        return (appended, (rewritten.map(\.position), unchanged))
    }
}
