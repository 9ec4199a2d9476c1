/// Appends fixed-width big-endian integers and length-prefixed bytes to a buffer.
///
/// Big-endian keys make LMDB's byte order equal numeric order. Read models build their rows
/// with it too, in other modules: its methods are inlinable so that their generic writes are
/// specialized there (unspecialized, they showed as 10% of a read-model rebuild's profile).
package struct ByteWriter {
    /// The buffer the methods write into (read it as ``bytes``).
    @usableFromInline var storage: [UInt8] = []

    /// What has been written so far.
    package var bytes: [UInt8] { storage }

    /// An empty buffer with room for `capacity` bytes.
    @inlinable package init(capacity: Int = 0) { storage.reserveCapacity(capacity) }

    /// Writes `value` in big-endian byte order.
    @inlinable package mutating func write<I: FixedWidthInteger>(_ value: I) {
        withUnsafeBytes(of: value.bigEndian) { storage.append(contentsOf: $0) }
    }

    /// Writes `raw` as it is.
    @inlinable package mutating func write(_ raw: some Sequence<UInt8>) { storage.append(contentsOf: raw) }

    /// Writes `raw` preceded by its length as a big-endian `Length`.
    @inlinable package mutating func write<Length: FixedWidthInteger>(
        _ raw: some Collection<UInt8>, lengthAs _: Length.Type
    ) {
        write(Length(raw.count))
        storage.append(contentsOf: raw)
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
