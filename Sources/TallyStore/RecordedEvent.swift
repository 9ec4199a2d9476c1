package import Foundation

/// An event as stored in the log: where it is, and exactly what was appended.
///
/// Holds the stored record (one allocation) and decodes its text fields on access,
/// which keeps scanning the log cheap.
package struct RecordedEvent: Sendable, Equatable {
    /// The event's place in the whole log, from 1, gap-free, in commit order.
    package let position: UInt64
    /// The stored record, as laid out in `docs/FORMAT.md`.
    let record: [UInt8]
    let layout: EventRecord.Layout

    /// Wraps a stored record after checking its layout.
    ///
    /// - Throws: ``RecordFormatError`` if the bytes are not a record this version can read.
    init(position: UInt64, record: [UInt8]) throws(RecordFormatError) {
        self.position = position
        self.layout = try record.withUnsafeBytes { bytes in
            Result { () throws(RecordFormatError) in try EventRecord.Layout(bytes) }
        }.get()
        self.record = record
    }

    /// The event's revision within its stream, from 0, gap-free.
    package var revision: UInt64 { layout.revision }
    /// The event's id.
    package var id: UUID { layout.id }
    /// When the writer appended the event.
    package var recordedAt: Timestamp { layout.recordedAt }
    /// The stream the event belongs to.
    package var stream: StreamID { StreamID(stored: text(layout.stream)) }
    /// What happened.
    package var type: String { text(layout.type) }
    /// The event's tags, in the order given.
    package var tags: [String] { layout.tags.map(text) }
    /// The payload, byte for byte as appended (a view into the stored record, not a copy).
    package var data: ArraySlice<UInt8> { record[layout.data] }
    /// The metadata object, byte for byte as appended (a view into the stored record, not a copy).
    package var metadata: ArraySlice<UInt8> { record[layout.metadata] }

    private func text(_ range: Range<Int>) -> String { String(decoding: record[range], as: UTF8.self) }

    package static func == (lhs: RecordedEvent, rhs: RecordedEvent) -> Bool {
        lhs.position == rhs.position && lhs.record == rhs.record
    }
}

/// A point in time with microsecond precision, stored as an integer so it reads back exactly.
package struct Timestamp: Sendable, Hashable, Comparable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    package let microsecondsSince1970: Int64

    /// The time `microsecondsSince1970` after the Unix epoch.
    package init(microsecondsSince1970: Int64) { self.microsecondsSince1970 = microsecondsSince1970 }

    /// The current wall-clock time.
    package static var now: Timestamp {
        Timestamp(microsecondsSince1970: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }

    package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSince1970 < rhs.microsecondsSince1970
    }
}
