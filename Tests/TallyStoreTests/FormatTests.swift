import Crypto
import Foundation
@testable import TallyStore
import TallyVerify
import Testing

/// One test vector from `docs/FORMAT.md`.
struct FormatVector {
    var fields: [String: String] = [:]

    subscript(_ name: String) -> String { fields[name] ?? "" }
}

/// Parses the `text` block under "## Test vectors" in `docs/FORMAT.md`.
func formatVectors() throws -> (vectors: [FormatVector], roots: [Int: String]) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let text = try String(contentsOf: root.appendingPathComponent("docs/FORMAT.md"), encoding: .utf8)
    let section = try #require(text.range(of: "## Test vectors"))
    let body = text[section.upperBound...]
    let start = try #require(body.range(of: "```text\n"))
    let end = try #require(body[start.upperBound...].range(of: "```"))
    var vectors: [FormatVector] = []
    var roots: [Int: String] = [:]
    for line in body[start.upperBound..<end.lowerBound].split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts[0]
        let value = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        if name == "vector" {
            vectors.append(FormatVector())
        } else if name == "root" {
            let rootParts = value.split(separator: " ", omittingEmptySubsequences: true)
            roots[Int(rootParts[0])!] = String(rootParts[1])
        } else {
            vectors[vectors.count - 1].fields[name] = value
        }
    }
    return (vectors, roots)
}

@Suite("Storage format (docs/FORMAT.md)")
struct FormatTests {
    @Test func recordsLeavesAndRootsMatchTheDocumentedVectors() throws {
        let (vectors, roots) = try formatVectors()
        #expect(vectors.count == 3)
        #expect(roots.count == 4)
        var frontier = MerkleFrontier()
        #expect(frontier.root.hexString == roots[0])
        for vector in vectors {
            let proposed = try ProposedEvent(
                stream: StreamID(vector["stream"]), id: UUID(uuidString: vector["id"]), type: vector["type"],
                tags: vector["tags"].split(separator: " ").map(String.init), data: Array(vector["data"].utf8),
                metadata: Array(vector["metadata"].utf8))
            let revision = try #require(UInt64(vector["revision"]))
            let position = try #require(UInt64(vector["position"]))
            let recordedAt = Timestamp(microsecondsSince1970: try #require(Int64(vector["recorded-at"])))

            let record = EventRecord.encode(proposed, revision: revision, recordedAt: recordedAt)
            #expect(record.hexString == vector["record"])
            let content = EventRecord.leafContent(
                position: position, event: proposed, revision: revision, recordedAt: recordedAt)
            #expect(content.hexString == vector["leaf-content"])
            #expect(MerkleHash.leaf(content).hexString == vector["leaf-hash"])

            // Decoding the documented bytes gives back every field, and the same leaf content.
            let decoded = try RecordedEvent(position: position, record: try #require(bytes(hex: vector["record"])))
            #expect(decoded.hasContent(of: proposed))
            #expect(decoded.revision == revision && decoded.id == proposed.id && decoded.recordedAt == recordedAt)
            #expect(EventRecord.leafContent(of: decoded).hexString == vector["leaf-content"])

            if let erasedBy = UInt64(vector["erased-by"]) {
                // Wholly erased: the record holds a tombstone; the leaf content is unchanged.
                let erasure = Erasure(dataDigest: Array(SHA256.hash(data: proposed.data)), erasedBy: erasedBy)
                let erased = proposed.erased(keeping: Array("null".utf8), as: erasure)
                #expect(
                    EventRecord.encode(erased, revision: revision, recordedAt: recordedAt).hexString
                        == vector["erased-record"])
                let stored = try RecordedEvent(
                    position: position, record: try #require(bytes(hex: vector["erased-record"])))
                #expect(String(decoding: stored.data, as: UTF8.self) == "null")
                #expect(stored.erasure == erasure)
                #expect(EventRecord.leafContent(of: stored).hexString == vector["leaf-content"])
                #expect(
                    EventRecord.leafContent(
                        position: position, event: erased, revision: revision, recordedAt: recordedAt
                    )
                    .hexString == vector["leaf-content"])
            }

            _ = frontier.append(leaf: MerkleHash.leaf(content))
            #expect(frontier.root.hexString == roots[Int(frontier.size)])
        }
    }

    @Test func damagedRecordsAreRefusedNotMisread() throws {
        let record = try #require(bytes(hex: try formatVectors().vectors[0]["record"]))
        #expect(throws: RecordFormatError.unknownVersion(2)) {
            try RecordedEvent(position: 1, record: [2] + record.dropFirst())
        }
        #expect(throws: RecordFormatError.truncated(at: 0)) { try RecordedEvent(position: 1, record: []) }
        #expect(throws: RecordFormatError.self) { try RecordedEvent(position: 1, record: Array(record.dropLast())) }
        #expect(throws: RecordFormatError.trailingBytes(at: record.count)) {
            try RecordedEvent(position: 1, record: record + [0])
        }
        // A data field that starts like a tombstone but is too short for one.
        let erased = try #require(bytes(hex: try formatVectors().vectors[1]["erased-record"]))
        let fieldStart = erased.count - 19 - 4 - 45  // metadata field (4 + 15), then the data field (4 + 45)
        var short = Array(erased[..<fieldStart]) + [0, 0, 0, 41, 0] + Array(repeating: 0, count: 40)
        short += erased.suffix(19)
        #expect(throws: RecordFormatError.truncatedTombstone) { try RecordedEvent(position: 2, record: short) }
    }
}

extension [UInt8] {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

/// Bytes from lower-case hexadecimal, or `nil` if `hex` is not hexadecimal.
func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)
    }.reduce(into: [UInt8]?([])) { result, byte in
        guard let byte else { return result = nil }
        result?.append(byte)
    }
}
