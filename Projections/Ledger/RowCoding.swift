/// Builds a read-model row: big-endian integers and u16-length-prefixed UTF-8 text.
struct RowWriter {
    private(set) var bytes: [UInt8] = []

    mutating func integer<I: FixedWidthInteger>(_ value: I) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ value: String) {
        integer(UInt16(value.utf8.count))
        bytes += value.utf8
    }
}

/// Reads what ``RowWriter`` wrote, refusing anything that does not fit exactly.
struct RowReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
        try take(MemoryLayout<I>.size).reduce(I.zero) { $0 << 8 | I($1) }
    }

    mutating func text() throws -> String {
        String(decoding: try take(Int(try integer(UInt16.self))), as: UTF8.self)
    }

    /// Checks that every byte was read.
    func finish() throws {
        guard offset == bytes.count else { throw RowError.damaged }
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard offset + count <= bytes.count else { throw RowError.damaged }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }
}

/// A stored read-model row that is not in the layout this version writes.
package enum RowError: Error, Equatable {
    case damaged
}
