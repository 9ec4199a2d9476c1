import Crypto
import Foundation
import TallyVerify

/// A stored record that this version of Tally cannot read: a bug or damage, never bad input.
package enum RecordFormatError: Error, Equatable, Sendable {
    /// The record's format version is not one this build knows.
    case unknownVersion(UInt8)
    /// The record ends before a field it announces, at byte `at`.
    case truncated(at: Int)
    /// The record has bytes after its last field.
    case trailingBytes(at: Int)
    /// The `data` field starts with the erasure marker but is too short for a tombstone.
    case truncatedTombstone
}

/// The binary layout of an event in the `events` database, and of its Merkle leaf.
///
/// These bytes are the stored format (`docs/FORMAT.md`, version 1). Change them only
/// by adding a new version that old records keep decoding under.
enum EventRecord {
    /// The format version written by this build.
    static let version: UInt8 = 1

    /// The first byte of a `data` field that holds an erasure tombstone instead of JSON
    /// (JSON never starts with a NUL byte).
    static let tombstoneMarker: UInt8 = 0x00

    /// Encodes `event` as record version 1. The position is the record's key, not part of it.
    /// An erased event's `data` field is its tombstone: marker ‖ digest of the original data ‖
    /// position of the erasure ‖ the JSON the erasure kept.
    static func encode(_ event: ProposedEvent, revision: UInt64, recordedAt: Timestamp) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + event.data.count + event.metadata.count)
        writeHeader(into: &writer, event, revision: revision, recordedAt: recordedAt)
        if let erasure = event.erasure {
            writer.write(UInt32(tombstoneHeaderSize + event.data.count))
            writer.write(tombstoneMarker)
            writer.write(erasure.dataDigest)
            writer.write(erasure.erasedBy)
        } else {
            writer.write(UInt32(event.data.count))
        }
        writer.write(event.data)
        writer.write(event.metadata, lengthAs: UInt32.self)
        return writer.bytes
    }

    /// The bytes a tombstone adds before the kept JSON: marker, digest, erasure position.
    static let tombstoneHeaderSize = 1 + 32 + 8

    /// The bytes a Merkle leaf commits to: the record with the position in front and
    /// `data` and `metadata` replaced by their SHA-256 digests, so a payload can later be
    /// erased without changing its leaf (an erased event's leaf uses the digest its tombstone kept).
    static func leafContent(position: UInt64, event: ProposedEvent, revision: UInt64, recordedAt: Timestamp) -> [UInt8]
    {
        var writer = ByteWriter(capacity: 128)
        writer.write(position)
        writeHeader(into: &writer, event, revision: revision, recordedAt: recordedAt)
        if let erasure = event.erasure {
            writer.write(erasure.dataDigest)
        } else {
            writer.write(digest: SHA256.hash(data: event.data))
        }
        writer.write(digest: SHA256.hash(data: event.metadata))
        return writer.bytes
    }

    /// The same leaf content, rebuilt from a stored event (what an auditor recomputes).
    static func leafContent(of event: RecordedEvent) -> [UInt8] {
        let count = leafContentCount(event.layout)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            event.record.withUnsafeBytes { record in
                writeLeafContent(
                    position: event.position, record: record, layout: event.layout,
                    into: UnsafeMutableRawBufferPointer(buffer))
            }
            initialized = count
        }
    }

    /// The Merkle leaf hash of the stored record `record` at `position`, hashed from where the
    /// record lies (in LMDB's map, when verifying) with the leaf content gathered on the stack:
    /// nothing is copied to the heap.
    ///
    /// - Throws: ``RecordFormatError`` if the bytes are not a record this version can read.
    static func leafHash(position: UInt64, record: UnsafeRawBufferPointer) throws(RecordFormatError) -> SHA256Digest {
        let layout = try Layout(record)
        return withUnsafeTemporaryAllocation(byteCount: leafContentCount(layout), alignment: 1) { content in
            writeLeafContent(position: position, record: record, layout: layout, into: content)
            return MerkleHash.leaf(UnsafeRawBufferPointer(content))
        }
    }

    /// The size of a stored record's leaf content: the position, the header, two digests.
    static func leafContentCount(_ layout: Layout) -> Int { 8 + layout.headerEnd + 2 * 32 }

    /// Writes the leaf content of a stored record into `content` (``leafContentCount(_:)`` bytes):
    /// the one place that rebuilds a leaf from stored bytes, for ``leafContent(of:)`` and
    /// ``leafHash(position:record:)``.
    private static func writeLeafContent(
        position: UInt64, record: UnsafeRawBufferPointer, layout: Layout, into content: UnsafeMutableRawBufferPointer
    ) {
        writeLeafContent(position: position, record: record, layout: layout, into: content) { job in
            var hasher = SHA256()
            hasher.update(bufferPointer: job.message)
            hasher.finalize().withUnsafeBytes { job.digest.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    /// Writes the leaf content of a stored record into `content` (``leafContentCount(_:)`` bytes)
    /// but for the payload digests it must hash: those it hands to `hashLater`, as jobs that write
    /// into `content`, for a caller that hashes many leaves' payloads together.
    static func writeLeafContent(
        position: UInt64, record: UnsafeRawBufferPointer, layout: Layout, into content: UnsafeMutableRawBufferPointer,
        hashLater: (SHA256Job) -> Void
    ) {
        var offset = 0
        func write(_ bytes: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: content[offset..<offset + bytes.count]).copyMemory(from: bytes)
            offset += bytes.count
        }
        func digest(of field: Range<Int>) {
            hashLater(
                SHA256Job(
                    message: UnsafeRawBufferPointer(rebasing: record[field]), digest: content.baseAddress! + offset))
            offset += 32
        }
        withUnsafeBytes(of: position.bigEndian, write)
        write(UnsafeRawBufferPointer(rebasing: record[..<layout.headerEnd]))
        if let tombstone = layout.tombstone {
            write(UnsafeRawBufferPointer(rebasing: record[tombstone.digest]))  // erased: the digest it kept
        } else {
            digest(of: layout.data)
        }
        digest(of: layout.metadata)
    }

    private static func writeHeader(
        into writer: inout ByteWriter, _ event: ProposedEvent, revision: UInt64, recordedAt: Timestamp
    ) {
        writer.write(version)
        writer.write(revision)
        writer.write(event.id.bytes)
        writer.write(recordedAt.microsecondsSince1970)
        writer.write(event.stream.rawValue.utf8, lengthAs: UInt16.self)
        writer.write(event.type.utf8, lengthAs: UInt16.self)
        writer.write(UInt16(event.tags.count))
        for tag in event.tags { writer.write(tag.utf8, lengthAs: UInt16.self) }
    }

    /// Where each field of a record lies; checked once when a record is read.
    struct Layout: Sendable {
        let revision: UInt64
        let id: UUID
        let recordedAt: Timestamp
        let stream: Range<Int>
        let type: Range<Int>
        /// How many tags there are.
        let tagCount: Int
        /// Where the tags' list (each a length and its bytes) lies; ``tagRanges(in:)`` splits it.
        let tagList: Range<Int>
        /// Where the fields that enter a leaf unchanged end.
        let headerEnd: Int
        /// The data's JSON: as appended, or what an erasure kept of it.
        let data: Range<Int>
        /// Set if the data was erased: where the tombstone's digest lies, and which erasure wrote it.
        let tombstone: (digest: Range<Int>, erasedBy: UInt64)?
        let metadata: Range<Int>

        init(_ bytes: UnsafeRawBufferPointer) throws(RecordFormatError) {
            var reader = ByteReader(bytes)
            let version = try reader.read(UInt8.self)
            guard version == EventRecord.version else { throw .unknownVersion(version) }
            revision = try reader.read(UInt64.self)
            let idRange = try reader.skip(16)
            id = UUID(bytes: UnsafeRawBufferPointer(rebasing: bytes[idRange]))
            recordedAt = Timestamp(microsecondsSince1970: try reader.read(Int64.self))
            stream = try reader.lengthPrefixed(UInt16.self)
            type = try reader.lengthPrefixed(UInt16.self)
            // Only walked here, not kept: reading a record (every scan, every verified event) allocates nothing.
            tagCount = Int(try reader.read(UInt16.self))
            let tagListStart = reader.offset
            for _ in 0..<tagCount { _ = try reader.lengthPrefixed(UInt16.self) }
            tagList = tagListStart..<reader.offset
            headerEnd = reader.offset
            let dataField = try reader.lengthPrefixed(UInt32.self)
            if dataField.first.map({ bytes[$0] == EventRecord.tombstoneMarker }) == true {
                guard dataField.count > EventRecord.tombstoneHeaderSize else { throw .truncatedTombstone }
                let digest = dataField.lowerBound + 1..<dataField.lowerBound + 33
                var erasedBy = ByteReader(
                    UnsafeRawBufferPointer(rebasing: bytes[digest.upperBound..<digest.upperBound + 8]))
                tombstone = (digest, try erasedBy.read(UInt64.self))
                data = digest.upperBound + 8..<dataField.upperBound
            } else {
                tombstone = nil
                data = dataField
            }
            metadata = try reader.lengthPrefixed(UInt32.self)
            guard reader.isAtEnd else { throw .trailingBytes(at: reader.offset) }
        }

        /// The ranges of the tags' bytes in `record`, the record this layout was read from.
        func tagRanges(in record: [UInt8]) -> [Range<Int>] {
            var ranges: [Range<Int>] = []
            ranges.reserveCapacity(tagCount)
            var offset = tagList.lowerBound
            for _ in 0..<tagCount {
                let length = Int(record[offset]) << 8 | Int(record[offset + 1])
                ranges.append(offset + 2..<offset + 2 + length)
                offset += 2 + length
            }
            return ranges
        }
    }
}

extension UUID {
    /// The UUID's 16 bytes in RFC 4122 order.
    var bytes: [UInt8] { withUnsafeBytes(of: uuid) { Array($0) } }

    /// A UUID from 16 bytes in RFC 4122 order.
    init(bytes: UnsafeRawBufferPointer) {
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(16))) }
        self.init(uuid: value)
    }
}

extension ByteWriter {
    /// Appends a digest's bytes in one copy (iterating a `Digest` byte by byte is slow).
    mutating func write(digest: SHA256Digest) {
        digest.withUnsafeBytes { write(UnsafeRawBufferPointer($0)) }
    }
}
