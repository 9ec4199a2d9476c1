import TallyStore

extension ByteWriter {
    /// Writes `value` as a read-model text field: u16 length, then UTF-8.
    mutating func text(_ value: String) { write(value.utf8, lengthAs: UInt16.self) }
}

/// Reads a row written with `ByteWriter` (big-endian integers, u16-length-prefixed text),
/// refusing anything that does not fit exactly.
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

/// Why a ledger read model could not apply an event (the event then becomes a dead letter).
package enum LedgerProjectionError: Error, Equatable {
    /// A ledger event names an account that was never opened.
    case eventForUnknownAccount(String)
    /// An account's running balance would leave `Int64`.
    case balanceOverflow(String)
    /// A currency's total would leave `Int64`.
    case totalOverflow(String)
}
