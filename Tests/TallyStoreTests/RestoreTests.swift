import Foundation
import Testing
import TallyStore
import TallyVerify

/// `EventLog.restore`: an export put back into an empty log is the same log, and nothing that
/// does not continue the log gets in.
@Suite struct RestoreTests {
    /// Exports every event of `log` as `tally export` does, and reads the lines back.
    private func exported(_ log: EventLog) throws -> [ExportedEvent] {
        try log.allEvents().map { try ExportedEvent(json: $0.json) }
    }

    /// Event `position` of `log` as exported, with `text` replaced by `replacement` in its line.
    private func exported(_ log: EventLog, at position: UInt64, replacing text: String, with replacement: String)
        throws -> ExportedEvent
    {
        let line = String(decoding: try #require(try log.event(at: position)).json, as: UTF8.self)
        return try ExportedEvent(json: Array(line.replacingOccurrences(of: text, with: replacement).utf8))
    }

    /// A log with events in three streams over several commits, some sharing a commit time.
    private func populate(_ log: EventLog) async throws {
        try await log.append(
            try event("account-a", "opened", tags: ["account:a"], data: #"{"owner":"Ada","n":1.50}"#),
            try event("account-a", "deposited", metadata: #"{"actor":"x"}"#))
        try await log.append(try event("account-b", "opened", data: #"{"owner":"Bob"}"#))
        try await log.append(
            AppendRequest(events: [try event("account-a", "withdrawn"), try event("account-b", "deposited")]))
        try await log.append(try event("account-a", "closed", data: "[1, 2,\n 3]"))
    }

    @Test func anExportRestoredIntoAnEmptyLogIsTheSameLog() async throws {
        try await withLog { source in
            try await populate(source)
            let lines = try exported(source)
            try await withLog { target in
                let receipt = try await target.restore(lines)
                #expect(receipt.checkpoint == (try source.treeHead()))
                #expect(receipt.events.map(\.position) == Array(1...6))
                let restored = try target.allEvents()
                #expect(restored.map(\.json) == (try source.allEvents()).map(\.json))
                #expect(
                    try target.streamHead(try stream("account-a")) == (try source.streamHead(try stream("account-a"))))
            }
        }
    }

    @Test func restoringAgainSkipsWhatIsThereAndResumesWhereItStopped() async throws {
        try await withLog { source in
            try await populate(source)
            let lines = try exported(source)
            try await withLog { target in
                try await target.restore(Array(lines.prefix(3)))
                let receipt = try await target.restore(lines)
                #expect(receipt.events.map(\.position) == [4, 5, 6])
                #expect(try target.treeHead() == (try source.treeHead()))
                let again = try await target.restore(lines)
                #expect(again.events.isEmpty)
            }
        }
    }

    @Test func eventsThatDoNotContinueTheLogAreRefusedAndNothingIsWritten() async throws {
        try await withLog { source in
            try await populate(source)
            let lines = try exported(source)
            try await withLog { target in
                await #expect(throws: ImportError.gap(expected: 1, found: 2)) {
                    try await target.restore(Array(lines.dropFirst()))
                }
                try await target.restore(Array(lines.prefix(2)))
                // A different event where the log already holds one.
                let other = try exported(source, at: 2, replacing: "deposited", with: "credited")
                await #expect(throws: ImportError.differs(position: 2)) { try await target.restore([other]) }
                // A revision that its stream would not get: account-b's first event exported as revision 1.
                let skipped = try exported(source, at: 3, replacing: #""revision":0"#, with: #""revision":1"#)
                await #expect(throws: ImportError.revisionMismatch(position: 3, expected: 1, actual: 0)) {
                    try await target.restore([skipped])
                }
                // An id the log already holds, at a new position.
                let reused = try exported(source, at: 1, replacing: #""position":1"#, with: #""position":3"#)
                await #expect(throws: ImportError.duplicateID(position: 3)) { try await target.restore([reused]) }
                #expect(try target.treeHead().size == 2)
            }
        }
    }

    @Test func malformedLinesNameWhatIsWrong() throws {
        let good =
            #"{"position":1,"stream":"s-1","revision":0,"id":"0191e3c0-0000-7000-8000-000000000001","type":"t","tags":[],"data":{},"metadata":{},"recordedAt":"2026-11-27T14:05:09.123456Z"}"#
        let parsed = try ExportedEvent(json: Array(good.utf8))
        #expect(parsed.recordedAt.iso8601 == "2026-11-27T14:05:09.123456Z")
        #expect(parsed.position == 1 && parsed.revision == 0 && parsed.event.type == "t")
        let cases: [(String, String)] = [
            (#""position":1,"#, ""),
            (#""position":1"#, #""position":0"#),
            (#""revision":0"#, #""revision":-1"#),
            (#""id":"0191e3c0-0000-7000-8000-000000000001""#, #""id":"nope""#),
            (#""tags":[]"#, #""tags":"x""#),
            (#"2026-11-27T14:05:09.123456Z"#, "2026-02-30T14:05:09.123456Z"),
            (#"2026-11-27T14:05:09.123456Z"#, "2026-11-27 14:05:09Z"),
        ]
        for (from, to) in cases {
            #expect(throws: ImportError.self, "\(to)") {
                try ExportedEvent(json: Array(good.replacingOccurrences(of: from, with: to).utf8))
            }
        }
        #expect(throws: ImportError.malformed("a line must be one JSON object")) {
            try ExportedEvent(json: Array("[1]".utf8))
        }
        #expect(throws: EventValidationError.self) {
            try ExportedEvent(
                json: Array(good.replacingOccurrences(of: #""data":{}"#, with: #""data":{"a":1,"a":2}"#).utf8))
        }
    }

    @Test func timestampsReadBackExactlyAcrossTheCalendar() {
        for micros: Int64 in [
            0, 1, 951_782_400_000_000, 951_868_799_999_999, 4_102_444_800_000_000, 1_795_788_309_123_456,
        ] {
            let time = Timestamp(microsecondsSince1970: micros)
            #expect(Timestamp(iso8601: time.iso8601) == time, "\(time.iso8601)")
        }
        #expect(Timestamp(iso8601: "2023-02-29T00:00:00.000000Z") == nil)
        #expect(Timestamp(iso8601: "2024-02-29T00:00:00.000000Z") != nil)
        #expect(Timestamp(iso8601: "2024-13-01T00:00:00.000000Z") == nil)
        #expect(Timestamp(iso8601: "2024-01-01T24:00:00.000000Z") == nil)
    }
}

/// Only one open log writes a directory: a second writer would append from a stale Merkle frontier.
@Suite struct WriterLockTests {
    @Test func aSecondWriterIsRefusedUntilTheFirstCloses() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try EventLog(path: path)
        #expect(throws: EventLogError.inUse(path: path)) { try EventLog(path: path) }
        first.close()
        let second = try EventLog(path: path)
        second.close()
    }
}
