package import Foundation

/// An event a client wants appended: validated on construction, so a `ProposedEvent` is always storable.
package struct ProposedEvent: Sendable, Equatable {
    /// The longest event type and the longest tag, in UTF-8 bytes.
    package static let maxNameBytes = 200
    /// The most tags one event may carry.
    package static let maxTags = 32
    /// The largest `data` or `metadata`, in bytes.
    package static let maxPayloadBytes = 4 << 20

    /// The stream the event joins.
    package let stream: StreamID
    /// The event's identity; resending the same id with the same content is idempotent.
    package let id: UUID
    /// What happened, for example `deposited`.
    package let type: String
    /// Labels for cross-stream queries and append conditions, without duplicates, in the order given.
    package let tags: [String]
    /// The payload: JSON bytes, stored exactly as received.
    package private(set) var data: [UInt8]
    /// Context such as correlation and causation ids: a JSON object, stored exactly as received.
    package let metadata: [UInt8]
    /// Set only for an erased event put back by an import: `data` is then what the erasure kept.
    package private(set) var erasure: Erasure?

    /// Validates every part of an event.
    ///
    /// - Parameters:
    ///   - id: The client's id for the event; a new time-ordered (version 7) one if `nil`.
    ///   - metadata: A JSON object; `{}` if empty.
    /// - Throws: ``EventValidationError`` naming the first field that breaks a rule.
    package init(
        stream: StreamID, id: UUID? = nil, type: String, tags: [String] = [], data: [UInt8], metadata: [UInt8] = []
    ) throws(EventValidationError) {
        try validateName(type, as: .type, maxBytes: Self.maxNameBytes)
        guard tags.count <= Self.maxTags else { throw EventValidationError(.tag, .tooLong(max: Self.maxTags)) }
        var seen = Set<String>()
        var uniqueTags: [String] = []
        for tag in tags {
            try validateName(tag, as: .tag, maxBytes: Self.maxNameBytes)
            if seen.insert(tag).inserted { uniqueTags.append(tag) }
        }
        guard data.count <= Self.maxPayloadBytes else {
            throw EventValidationError(.data, .tooLong(max: Self.maxPayloadBytes))
        }
        guard !data.isEmpty else { throw EventValidationError(.data, .empty) }
        try JSONValidator.validate(data, as: .data)
        let metadata = metadata.isEmpty ? Array("{}".utf8) : metadata
        guard metadata.count <= Self.maxPayloadBytes else {
            throw EventValidationError(.metadata, .tooLong(max: Self.maxPayloadBytes))
        }
        guard try JSONValidator.validate(metadata, as: .metadata) else {
            throw EventValidationError(.metadata, .notAnObject)
        }
        self.stream = stream
        self.id = id ?? UUID.version7()
        self.type = type
        self.tags = uniqueTags
        self.data = data
        self.metadata = metadata
    }
}

extension ProposedEvent {
    /// The same event with its data erased: `data` becomes `kept` (`null`, or the object without the
    /// erased members), and the leaf keeps committing to the original data through `erasure`.
    func erased(keeping kept: [UInt8], as erasure: Erasure) -> ProposedEvent {
        var event = self
        event.data = kept
        event.erasure = erasure
        return event
    }
}
