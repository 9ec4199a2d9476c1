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
    package var tags: [String] { layout.tagRanges(in: record).map(text) }
    /// The payload, byte for byte as appended (a view into the stored record, not a copy); for an
    /// erased event, what the erasure kept: `null`, or the object without the erased members.
    package var data: ArraySlice<UInt8> { record[layout.data] }
    /// Set if the event's data was erased: the original's digest and the erasure's position.
    package var erasure: Erasure? {
        layout.tombstone.map { Erasure(dataDigest: Array(record[$0.digest]), erasedBy: $0.erasedBy) }
    }
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

extension Timestamp {
    /// RFC 3339 UTC with microseconds: `2026-11-27T14:05:09.123456Z`.
    package var iso8601: String {
        let micros = microsecondsSince1970
        let (days, microOfDay) = micros.floorDivided(by: 86_400_000_000)
        // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let seconds = microOfDay / 1_000_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2))"
            + ":\(pad(seconds % 60, 2)).\(pad(microOfDay % 1_000_000, 6))Z"
    }
}

extension Timestamp {
    /// Reads the form ``iso8601`` writes (`2026-11-27T14:05:09.123456Z`, years 0000–9999), exactly;
    /// `nil` for any other text or an impossible date.
    package init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 27, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "."), bytes[26] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let micros = number(20..<26), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays: [Int64] = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthDays[Int(month) - 1]).contains(day) else { return nil }
        // Days since 1970-01-01 from a civil date (H. Hinnant's days_from_civil; years here are ≥ 0).
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        self.init(
            microsecondsSince1970: ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros)
    }
}

extension Int64 {
    /// Quotient rounded toward negative infinity, and the non-negative remainder.
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = ((self % divisor) + divisor) % divisor
        return ((self - remainder) / divisor, remainder)
    }
}
