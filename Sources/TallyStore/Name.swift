import Foundation

/// Checks a name (stream, event type, tag): valid UTF-8 text of 1...`maxBytes` bytes without control characters.
func validateName(_ text: String, as field: EventValidationError.Field, maxBytes: Int) throws(EventValidationError) {
    let utf8 = text.utf8
    guard !utf8.isEmpty else { throw EventValidationError(field, .empty) }
    guard utf8.count <= maxBytes else { throw EventValidationError(field, .tooLong(max: maxBytes)) }
    // Swift strings built from bytes repair invalid UTF-8 with U+FFFD; callers that start from
    // bytes go through `init(validating:)`, so a String here is valid UTF-8 by construction.
    guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
        throw EventValidationError(field, .controlCharacter)
    }
}

/// The name of a stream: 1–200 bytes of UTF-8 without control characters, compared byte for byte.
///
/// By convention `<category>-<id>`: the category is the part before the first `-`
/// (the whole name if there is none, or if the name starts with `-`).
package struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The longest stream name, in UTF-8 bytes.
    package static let maxBytes = 200
    /// The name as given.
    package let rawValue: String

    /// Validates `rawValue` as a stream name.
    ///
    /// - Throws: ``EventValidationError`` with field `stream` naming the broken rule.
    package init(_ rawValue: String) throws(EventValidationError) {
        try validateName(rawValue, as: .stream, maxBytes: Self.maxBytes)
        self.rawValue = rawValue
    }

    /// Validates raw bytes (as received) as a stream name.
    package init(utf8 bytes: some Collection<UInt8>) throws(EventValidationError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw EventValidationError(.stream, .invalidUTF8)
        }
        try self.init(text)
    }

    /// A name already validated, read back from storage.
    init(stored rawValue: String) { self.rawValue = rawValue }

    /// The part before the first `-`, or the whole name; never empty.
    package var category: String {
        guard let dash = rawValue.firstIndex(of: "-"), dash != rawValue.startIndex else { return rawValue }
        return String(rawValue[..<dash])
    }

    package var description: String { rawValue }

    // Compared and hashed as UTF-8 bytes, in one call each rather than byte by byte (the writer
    // looks streams up in dictionaries for every event it appends; the walk showed in its profile).

    package static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                let shorter = min(left.count, right.count)
                let common = shorter == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, shorter)
                return common < 0 || (common == 0 && left.count < right.count)  // byte order, as LMDB sorts
            }
        }
    }

    package static func == (lhs: StreamID, rhs: StreamID) -> Bool {
        // Byte for byte: no Unicode normalization.
        lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                left.count == right.count
                    && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
    }

    package func hash(into hasher: inout Hasher) {
        withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Runs `body` on the name's UTF-8, contiguous (a native string's own storage, else a copy).
    private func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        var name = rawValue
        return name.withUTF8(body)
    }
}
