import TallyLMDB

/// The log's named databases in one environment, and the layout of their keys (`docs/FORMAT.md`).
struct LogSchema: Sendable {
    /// The storage format this build writes; stored under `format-version` in `meta`. Version 2
    /// added erasure tombstones; version 3 lets the indexes keyed by name lag the log
    /// (`indexed-through`). Opening an older log to write stamps it 3, recording that its
    /// indexes hold every event: an older build would miss the events of the tail.
    static let formatVersion: UInt32 = 3
    /// The formats this build reads.
    static let readableFormats: ClosedRange<UInt32> = 1...formatVersion

    /// position (8, BE) → event record.
    let events: Database
    /// stream ‖ 0x00 ‖ revision (8, BE) → position (8, BE).
    let streamIndex: Database
    /// stream → last revision (8, BE) ‖ position of that event (8, BE).
    let streamHeads: Database
    /// event id (16) → position (8, BE).
    let eventIDs: Database
    /// type → positions (8, BE), duplicate-sorted.
    let types: Database
    /// tag → positions (8, BE), duplicate-sorted.
    let tags: Database
    /// category → positions (8, BE), duplicate-sorted.
    let categories: Database
    /// level (1) ‖ index (8, BE) → SHA-256 node hash (32).
    let merkle: Database
    /// name (UTF-8) → value; holds `format-version` (4, BE) and `indexed-through` (8, BE).
    let meta: Database
    /// command id (16) → fingerprint ‖ first position (8, BE) ‖ event count (4, BE).
    let commands: Database
    /// tree size (8, BE) → signed checkpoint note (UTF-8). `nil` only in a read-only open of a log
    /// written before checkpoints existed: it has none, and LMDB cannot create a database read-only.
    let checkpoints: Database?

    private static let indexFlags: Database.Flags = [.duplicateSort, .duplicateFixed]

    /// Opens (or, writable, creates) every database and checks the format version.
    ///
    /// - Throws: ``EventLogError/corrupted(_:)`` if a read-only environment holds no log; `LMDBError` from LMDB.
    init(environment: Environment) throws {
        func open(_ name: String, _ flags: Database.Flags = []) throws -> Database {
            guard let database = try environment.openDatabase(name, flags: flags) else {
                throw EventLogError.corrupted("database \(name) is missing")
            }
            return database
        }
        if environment.isReadOnly, try environment.openDatabase("meta") == nil {
            throw EventLogError.corrupted("no Tally log at \(environment.path)")
        }
        events = try open("events")
        streamIndex = try open("stream-index")
        streamHeads = try open("stream-heads")
        eventIDs = try open("event-ids")
        types = try open("index.type", Self.indexFlags)
        tags = try open("index.tag", Self.indexFlags)
        categories = try open("index.category", Self.indexFlags)
        merkle = try open("merkle")
        meta = try open("meta")
        commands = try open("commands")
        // Added after format 1 shipped without a version bump: a writable open creates it, a
        // read-only open of an older log reads it as empty.
        checkpoints = try environment.openDatabase("checkpoints")
    }

    static let formatVersionKey = Array("format-version".utf8)
    /// Under this key in `meta`: the last position `stream-index` and `stream-heads` hold (8, BE).
    static let indexedThroughKey = Array("indexed-through".utf8)

    static func streamIndexKey(_ stream: StreamID, revision: UInt64) -> [UInt8] {
        var key = Array(stream.rawValue.utf8)
        key.append(0)  // streams hold no NUL, so this ends the name and keeps streams apart
        key.append(contentsOf: revision.bigEndianBytes)
        return key
    }
}

/// A stream's last revision and where that event is in the log.
package struct StreamHead: Sendable, Equatable {
    /// The stream.
    package let stream: StreamID
    /// The revision of its last event.
    package let revision: UInt64
    /// The position of its last event.
    package let position: UInt64

    var stored: [UInt8] { revision.bigEndianBytes + position.bigEndianBytes }

    init(stream: StreamID, revision: UInt64, position: UInt64) {
        self.stream = stream
        self.revision = revision
        self.position = position
    }

    init(stream: StreamID, stored: UnsafeRawBufferPointer) throws {
        guard stored.count == 16 else {
            throw EventLogError.corrupted("stream head of \(stream) is \(stored.count) bytes")
        }
        self.init(
            stream: stream, revision: UInt64(bigEndianBytes: stored),
            position: UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: stored[8...])))
    }
}
