@testable import TallyStore

/// Decodes the input as a stored event record (as the log reads it from LMDB).
///
/// Properties: decoding never traps; every field of a decoded record lies inside it and the
/// fields tile it; and a record whose fields make a valid event (erased or not) re-encodes to
/// exactly the same bytes, with the same Merkle leaf content whether built from the event or from
/// the record.
func fuzzRecord(_ bytes: [UInt8]) {
    guard let event = try? RecordedEvent(position: 7, record: bytes) else { return }
    let layout = event.layout
    let tags = layout.tagRanges(in: bytes)
    require(tags.count == layout.tagCount, "\(tags.count) tag ranges for \(layout.tagCount) tags")
    require(tags.allSatisfy { layout.tagList.contains($0.lowerBound - 2) }, "a tag lies outside the tag list")
    let fields = [layout.stream, layout.type] + tags + [layout.data, layout.metadata]
    for range in fields { require(range.lowerBound >= 0 && range.upperBound <= bytes.count, "field \(range) outside") }
    require(layout.data.upperBound + 4 == layout.metadata.lowerBound, "metadata does not follow data")
    require(layout.metadata.upperBound == bytes.count, "the record does not end with its metadata")
    let tombstoneSize = layout.tombstone == nil ? 0 : EventRecord.tombstoneHeaderSize
    require(layout.headerEnd + 4 + tombstoneSize == layout.data.lowerBound, "data does not follow the header")
    let leaf = EventRecord.leafContent(of: event)
    require(leaf.count == 8 + layout.headerEnd + 64, "leaf content is \(leaf.count) bytes")

    // The round trip: only records the writer could have written (valid names and JSON,
    // text that is UTF-8 as stored, no repeated tags) must come back byte for byte.
    let texts = [layout.stream, layout.type] + tags
    guard texts.allSatisfy({ String(validating: bytes[$0], as: UTF8.self) != nil }),
        let stream = try? StreamID(event.stream.rawValue),
        let valid = try? ProposedEvent(
            stream: stream, id: event.id, type: event.type, tags: event.tags, data: Array(event.data),
            metadata: Array(event.metadata)),
        valid.tags == event.tags, valid.metadata[...] == event.metadata
    else { return }
    let proposed = event.erasure.map { valid.erased(keeping: valid.data, as: $0) } ?? valid
    let encoded = EventRecord.encode(proposed, revision: event.revision, recordedAt: event.recordedAt)
    require(encoded == bytes, "a decoded record re-encodes to other bytes")
    let rebuilt = EventRecord.leafContent(
        position: event.position, event: proposed, revision: event.revision, recordedAt: event.recordedAt)
    require(rebuilt == leaf, "leaf content from the event differs from leaf content from the record")
}
