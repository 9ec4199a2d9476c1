/// Why a proposed event or append was refused before it reached the log.
///
/// Carries data, not prose: the HTTP and CLI layers turn it into words.
package struct EventValidationError: Error, Equatable, Sendable {
    /// The part of the request that is wrong.
    package enum Field: String, Sendable {
        case stream, type, tag, data, metadata, id, events, condition
    }

    /// The rule the value breaks.
    package enum Reason: Equatable, Sendable {
        /// The value is empty where at least one byte (or item) is required.
        case empty
        /// The value is longer than `max` bytes (or items).
        case tooLong(max: Int)
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// The text holds a control character (U+0000–U+001F or U+007F).
        case controlCharacter
        /// The bytes are not one JSON value (RFC 8259); `offset` is where parsing failed.
        case invalidJSON(offset: Int)
        /// A JSON object repeats the member `key`.
        case duplicateKey(String)
        /// JSON nests deeper than `max` arrays and objects.
        case tooDeep(max: Int)
        /// The JSON value must be an object.
        case notAnObject
        /// Two events in one append share an id.
        case duplicateID
        /// The stream is one of the log's own (its name starts with `$`, like ``StreamID/erasures``).
        case reserved
    }

    /// The part of the request that is wrong.
    package let field: Field
    /// The rule it breaks.
    package let reason: Reason
    /// The index of the offending event in its append, when there is one.
    package var eventIndex: Int?

    /// Describes a refusal of `field` for `reason`.
    package init(_ field: Field, _ reason: Reason, eventIndex: Int? = nil) {
        self.field = field
        self.reason = reason
        self.eventIndex = eventIndex
    }
}
