/// Appends fixed-width big-endian integers and length-prefixed bytes to a buffer.
///
/// Big-endian keys make LMDB's byte order equal numeric order. Read models build their rows
/// with it too.
package struct ByteWriter {
    /// What has been written so far.
    package private(set) var bytes: [UInt8] = []

    /// An empty buffer with room for `capacity` bytes.
    package init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Writes `value` in big-endian byte order.
    package mutating func write<I: FixedWidthInteger>(_ value: I) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes `raw` as it is.
    package mutating func write(_ raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    /// Writes `raw` preceded by its length as a big-endian `Length`.
    package mutating func write<Length: FixedWidthInteger>(_ raw: some Collection<UInt8>, lengthAs _: Length.Type) {
        write(Length(raw.count))
        bytes.append(contentsOf: raw)
    }
}

/// Reads what ``ByteWriter`` wrote, checking every bound.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var isAtEnd: Bool { offset == buffer.count }

    mutating func read<I: FixedWidthInteger>(_: I.Type) throws(RecordFormatError) -> I {
        let size = MemoryLayout<I>.size
        guard offset + size <= buffer.count else { throw .truncated(at: offset) }
        var value = I.zero
        withUnsafeMutableBytes(of: &value) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + size]))
        }
        offset += size
        return I(bigEndian: value)
    }

    /// Returns the range of the next `count` bytes and skips them.
    mutating func skip(_ count: Int) throws(RecordFormatError) -> Range<Int> {
        guard count >= 0, offset + count <= buffer.count else { throw .truncated(at: offset) }
        defer { offset += count }
        return offset..<offset + count
    }

    /// Reads a big-endian `Length` and returns the range of the bytes it prefixes.
    mutating func lengthPrefixed<Length: FixedWidthInteger>(_: Length.Type) throws(RecordFormatError) -> Range<Int> {
        let count = try read(Length.self)
        return try skip(Int(count))
    }
}

extension FixedWidthInteger {
    /// The value as fixed-width big-endian bytes: a key that sorts numerically.
    package var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }

    /// Reads a big-endian value from the start of `bytes`, which must hold at least `MemoryLayout<Self>.size` bytes.
    init(bigEndianBytes bytes: UnsafeRawBufferPointer) {
        var value = Self.zero
        withUnsafeMutableBytes(of: &value) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(MemoryLayout<Self>.size)))
        }
        self.init(bigEndian: value)
    }
}
