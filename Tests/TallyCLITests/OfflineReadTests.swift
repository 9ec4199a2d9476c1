import Foundation
import Synchronization
import Ledger
import LedgerProjection
import TallyLMDB
import TallyStore
import TestProcesses
import Testing

/// A data directory holding a small ledger: a-1 (EUR) with a deposit, b-2 (USD), and the
/// projections caught up. Returns the directory; the caller removes it.
private func ledgerDirectory() async throws -> String {
    let directory = temporaryDataDirectory()
    let log = try EventLog(
        path: directory, inlineProjectors: [AccountBalances()], asyncProjectors: [AccountStatements(), TrialBalance()])
    defer { log.close() }
    let balances = try #require(log.inlineTable(named: "account-balances"))
    for command: Ledger.Command in [
        .openAccount(id: "a-1", owner: "Ada", currency: "EUR", overdraftLimit: 0),
        .openAccount(id: "b-2", owner: "Bo", currency: "USD", overdraftLimit: 0),
        .deposit(account: "a-1", amount: 1250),
    ] {
        try await log.execute(try LedgerCommand(command, balances: balances))
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try? await log.runProjections() }
        for name in ["account-statements", "trial-balance"] {
            _ = try await log.waitForProjection(named: name, toReach: 3, timeout: .seconds(10))
        }
        group.cancelAll()
    }
    return directory
}

/// The JSON objects of NDJSON output.
private func lines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

@Suite("Offline reads of a data directory")
struct OfflineReadTests {
    @Test func eventsAreReadInOrderFilteredAndPaged() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let all = try tally(["events", "--data-dir", directory, "--output", "ndjson"])
        #expect(all.status == 0)
        #expect(try lines(all.stdout).map { $0["position"] as? Int } == [1, 2, 3])
        let deposits = try tally(["events", "--data-dir", directory, "--type", "deposited", "--output", "ndjson"])
        #expect(try lines(deposits.stdout).map { $0["type"] as? String } == ["deposited"])
        #expect(try (lines(deposits.stdout).first?["data"] as? [String: Any])?["amount"] as? Int == 1250)
        let page = try tally(["events", "--data-dir", directory, "--after", "1", "--limit", "1", "--output", "ndjson"])
        #expect(try lines(page.stdout).map { $0["position"] as? Int } == [2])
        #expect(page.stderr.contains("continue with --after 2"))
    }

    @Test func aStreamReadsBackwardAsOneJSONArray() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try tally(["read", "account-a-1", "--backward", "--data-dir", directory, "--output", "json"])
        #expect(run.status == 0)
        let events = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(events.map { $0["revision"] as? Int } == [1, 0])
        let missing = try tally(["read", "account-zz", "--data-dir", directory])
        #expect(missing.status == 65)
        #expect(missing.stderr == "tally: stream account-zz has no events\n")
    }

    @Test func streamsAreListedByPrefixAsATable() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try tally(["streams", "--prefix", "account-b", "--data-dir", directory, "--output", "table"])
        #expect(run.status == 0)
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows == [["STREAM", "REVISION", "POSITION"], ["account-b-2", "0", "2"]])
    }

    @Test func projectionsAnswerByKeyAndByPageStatingTheirPosition() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let balance = try tally(["query", "account-balances", "a-1", "--data-dir", directory, "--output", "ndjson"])
        #expect(balance.status == 0)
        let document = try #require(try lines(balance.stdout).first)
        #expect(document["position"] as? Int == 3)
        #expect((document["value"] as? [String: Any])?["balance"] as? Int == 1250)
        let totals = try tally(["query", "trial-balance", "--data-dir", directory, "--output", "ndjson"])
        #expect(try lines(totals.stdout).map { $0["key"] as? String } == ["EUR", "USD"])
        let statement = try tally([
            "query", "account-statements", "--prefix", "a-1:", "--data-dir", directory, "--output", "ndjson",
        ])
        #expect(try lines(statement.stdout).map { $0["key"] as? String } == ["a-1:00000000000000000001"])
        let missing = try tally(["query", "account-balances", "nobody", "--data-dir", directory])
        #expect(missing.status == 65)
        #expect(missing.stderr == "tally: account-balances has no document nobody as of position 3\n")
        let unknown = try tally(["query", "nope", "--data-dir", directory])
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "tally: no projection is named nope\n")
    }

    @Test func projectionsReportTheirPositionLagAndState() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try tally(["projections", "--data-dir", directory, "--output", "ndjson"])
        #expect(run.status == 0)
        let statuses = try lines(run.stdout)
        #expect(statuses.map { $0["name"] as? String } == ["account-balances", "account-statements", "trial-balance"])
        #expect(statuses.map { $0["mode"] as? String } == ["inline", "async", "async"])
        #expect(statuses.allSatisfy { $0["position"] as? Int == 3 && $0["lag"] as? Int == 0 })
        #expect(statuses.allSatisfy { $0["state"] as? String == "healthy" })
    }

    @Test func anExportIsEveryEventOncePerLineWithItsBytes() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let export = try tally(["export", "--data-dir", directory])
        #expect(export.status == 0)
        let events = try tally(["events", "--data-dir", directory, "--output", "ndjson"])
        #expect(export.stdout == events.stdout)
        #expect(export.stdout.contains(#""data":{"account":"a-1","amount":1250}"#))
        let rest = try tally(["export", "--after", "2", "--data-dir", directory])
        #expect(try lines(rest.stdout).map { $0["position"] as? Int } == [3])
    }

    @Test func statusReadsAnExistingLogWithoutWritingIt() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before =
            try FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")[.modificationDate] as? Date
        let run = try tally(["status", "--data-dir", directory, "--output", "json"])
        #expect(run.status == 0)
        #expect(run.stdout.contains(#""events":3"#))
        let after =
            try FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")[.modificationDate] as? Date
        #expect(before == after)
    }

    @Test func aDirectoryWithoutALogIsAnErrorAndIsNotCreated() throws {
        let directory = temporaryDataDirectory()
        let run = try tally(["events", "--data-dir", directory])
        #expect(run.status != 0)
        #expect(run.stderr.hasPrefix("tally: "))
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test(arguments: [["events", "--limit", "0"], ["streams", "--limit", "10001"], ["read", "s", "--limit", "-1"]])
    func pageSizesOutsideTheLimitAreUsageErrors(arguments: [String]) throws {
        #expect(try tally(arguments).status == 64)
    }
}

@Suite("tally tail")
struct TailTests {
    @Test func tailPrintsTheEventsAfterItsPositionThenNewOnesAsTheyCommit() async throws {
        let directory = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog(path: directory)
        defer { log.close() }
        func append(_ type: String) async throws {
            try await log.append(
                AppendRequest(events: [try ProposedEvent(stream: StreamID("s-1"), type: type, data: [0x31])]))
        }
        try await append("before-1")
        try await append("before-2")

        let process = Process()
        process.executableURL = tallyBinary
        process.arguments = [
            "tail", "--data-dir", directory, "--after", "1", "--type", "before-2", "--type", "live", "--interval", "20",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            _ = exitStatus(of: process)
        }
        try await Task.sleep(for: .milliseconds(300))
        try await append("live")
        try await append("skipped")
        try await append("live")

        // Collected off the test's thread, so a tail that printed nothing fails the test instead of hanging it.
        let received = Mutex("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            received.withLock { $0 += chunk }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while received.withLock({ $0.split(separator: "\n").count }) < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        out.fileHandleForReading.readabilityHandler = nil
        let text = received.withLock { $0 }
        let events = text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.map { $0["position"] as? Int } == [2, 3, 5])
        #expect(events.map { $0["type"] as? String } == ["before-2", "live", "live"])
    }
}

@Suite("Export and import")
struct ExportImportTests {
    @Test func anExportImportedIntoAnEmptyDirectoryIsTheSameLog() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let export = try tally(["export", "--data-dir", directory])
        #expect(export.status == 0)
        let root = try #require(export.stderr.split(separator: " ").last).trimmingCharacters(in: .newlines)
        #expect(export.stderr == "tally: exported 3 events; Merkle root at size 3: \(root)\n")
        let file = directory + ".ndjson"
        let copy = directory + "-imported"
        defer {
            try? FileManager.default.removeItem(atPath: file)
            try? FileManager.default.removeItem(atPath: copy)
        }
        try Data(export.stdout.utf8).write(to: URL(fileURLWithPath: file))

        let imported = try tally(["import", file, "--data-dir", copy, "--expect-root", root, "--batch", "2"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stdout
                == "imported 3 events (0 already there); the log holds 3 events (merkle root \(root)) in \(copy)\n")
        // Same positions, ids, bytes and times; same tree; the inline read model rebuilt with it.
        #expect(try tally(["export", "--data-dir", copy]).stdout == export.stdout)
        let status = try tally(["status", "--data-dir", copy, "--output", "json"])
        #expect(status.stdout.contains(#""merkleRoot":"\#(root)""#))
        let balance = try tally(["query", "account-balances", "a-1", "--data-dir", copy, "--output", "ndjson"])
        #expect(try (lines(balance.stdout).first?["value"] as? [String: Any])?["balance"] as? Int == 1250)

        // Running it again changes nothing; a wrong pinned root is a data error.
        let again = try tally(["import", file, "--data-dir", copy, "--output", "json"])
        #expect(again.status == 0)
        #expect(again.stdout.contains(#""events":3"#))
        let wrong = String(repeating: "0", count: 64)
        let mismatch = try tally(["import", file, "--data-dir", copy, "--expect-root", wrong])
        #expect(mismatch.status == 65)
        #expect(
            mismatch.stderr
                == "tally: the imported log's Merkle root at size 3 is \(root), not \(wrong): the export is not the log it was taken from\n"
        )
    }

    @Test func badInputNamesTheLineAndWritesNothing() throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + ".ndjson"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let good =
            #"{"position":1,"stream":"s-1","revision":0,"id":"0191e3c0-0000-7000-8000-000000000001","type":"t","tags":[],"data":{},"metadata":{},"recordedAt":"2026-11-27T14:05:09.123456Z"}"#
        try Data((good + "\n\n{\"position\":2}\n").utf8).write(to: URL(fileURLWithPath: file))
        let run = try tally(["import", file, "--data-dir", directory])
        #expect(run.status == 65)
        #expect(run.stderr == "tally: line 3: not an exported event: revision is missing\n")
        #expect(try tally(["status", "--data-dir", directory, "--output", "json"]).stdout.contains(#""events":0"#))

        try Data((good.replacingOccurrences(of: #""position":1"#, with: #""position":5"#) + "\n").utf8)
            .write(to: URL(fileURLWithPath: file))
        let gap = try tally(["import", file, "--data-dir", directory])
        #expect(gap.status == 65)
        #expect(
            gap.stderr.hasPrefix("tally: the events do not continue the log: it needs position 1 next, the input has 5")
        )
        let usage = try tally(["import", file, "--data-dir", directory, "--expect-root", "abc"])
        #expect(usage.status == 64)
    }
}

@Suite("tally verify")
struct VerifyCommandTests {
    @Test func aDataDirectoryAndItsExportVerifyAgainstThePinnedHeadAndTamperingIsNamed() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let status = try tally(["status", "--data-dir", directory, "--output", "json"])
        let root = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["merkleRoot"]
                as? String)

        let direct = try tally(["verify", "--data-dir", directory, "--size", "3", "--root", root])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(
            direct.stdout
                == "verified 3 events: every leaf and node recomputed; tree head size 3 root \(root); reproduces the pinned root at size 3\n"
        )
        let unpinned = try tally(["verify", "--data-dir", directory, "--output", "json"])
        #expect(unpinned.stdout == #"{"verified":true,"events":3,"root":"\#(root)"}"# + "\n")

        let file = directory + ".ndjson"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let export = try tally(["export", "--data-dir", directory]).stdout
        try Data(export.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try tally(["verify", "--export", file, "--size", "3", "--root", root]).status == 0)

        // One amount changed in the export: the rebuilt tree no longer reaches the pinned root.
        try Data(export.replacingOccurrences(of: #""amount":1250"#, with: #""amount":9250"#).utf8)
            .write(to: URL(fileURLWithPath: file))
        let altered = try tally(["verify", "--export", file, "--size", "3", "--root", root])
        #expect(altered.status == 65)
        #expect(altered.stderr.hasPrefix("tally: verification failed: at size 3 the log recomputes to root "))
        // The last line dropped: truncation.
        let lines = export.split(separator: "\n")
        try Data((lines.dropLast().joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let truncated = try tally(["verify", "--export", file, "--size", "3", "--root", root])
        #expect(truncated.status == 65)
        #expect(
            truncated.stderr
                == "tally: verification failed: the log holds 2 events, fewer than the pinned tree head's 3 (it was truncated)\n"
        )
        // The middle line dropped: a gap.
        try Data(([lines[0], lines[2]].joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let gap = try tally(["verify", "--export", file])
        #expect(gap.status == 65)
        #expect(gap.stderr.contains("the event at position 2 is missing"))
        #expect(try tally(["verify", "--data-dir", directory, "--size", "3"]).status == 64)
    }
}

/// Flips the last byte of `key`'s value in database `name` of the environment at `path`, as
/// someone with disk access could.
private func flipLastByte(ofKey key: String, in name: String, at path: String) throws {
    let environment = try Environment(path: path)
    defer { environment.close() }
    let table = try #require(try environment.openDatabase(name))
    try environment.write { txn in
        var row = try #require(try txn.value(forKey: Array(key.utf8), in: table))
        row[row.count - 1] ^= 0x01
        try txn.put(row, forKey: Array(key.utf8), in: table)
    }
}

@Suite("Replays and projection checks")
struct ReplayTests {
    @Test func aReplayAnswersAsOfAnEarlierPositionOrTimeAndEqualsTheLiveProjectionAtTheHead() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func balance(_ arguments: [String]) throws -> (position: Int?, balance: Int?) {
            let run = try tally(
                ["replay", "account-balances", "a-1", "--data-dir", directory, "--output", "ndjson"] + arguments)
            #expect(run.status == 0, "\(run.stderr)")
            let document = try #require(try lines(run.stdout).first)
            return (document["position"] as? Int, (document["value"] as? [String: Any])?["balance"] as? Int)
        }
        #expect(try balance(["--to-position", "2"]) == (2, 0))
        #expect(try balance(["--to-position", "3"]) == (3, 1250))
        #expect(try balance(["--to-time", "2999-01-01T00:00:00Z"]) == (3, 1250))
        let before = try tally([
            "replay", "account-balances", "a-1", "--to-time", "2000-01-01T00:00:00Z", "--data-dir", directory,
        ])
        #expect(before.status == 65)
        #expect(before.stderr == "tally: account-balances has no document a-1 as of position 0\n")

        for query in [["account-statements", "--prefix", "a-1:"], ["trial-balance"], ["account-balances"]] {
            let live = try tally(["query"] + query + ["--data-dir", directory, "--output", "ndjson"])
            let replayed = try tally(
                ["replay"] + query + ["--to-position", "3", "--data-dir", directory, "--output", "ndjson"])
            #expect(!live.stdout.isEmpty)
            #expect(replayed.stdout == live.stdout, "\(query)")
        }
        #expect(try tally(["replay", "trial-balance", "--to-position", "4", "--data-dir", directory]).status == 65)
        #expect(try tally(["replay", "trial-balance", "--data-dir", directory]).status == 64)
    }

    @Test func verifyProjectionsComparesEachReadModelWithAReplayAndNamesTheKeysThatDiffer() async throws {
        let directory = try await ledgerDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clean = try tally(["verify", "--projections", "--data-dir", directory])
        #expect(clean.status == 0, "\(clean.stderr)")
        let lines = clean.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.dropFirst().allSatisfy { $0.contains("equal to a fresh replay") })
        #expect(lines[1].hasPrefix("projection account-balances at position 3: 2 entries"))

        // Someone with disk access changes a stored balance.
        try flipLastByte(ofKey: "a-1", in: "projection.account-balances.v1", at: directory)
        let tampered = try tally(["verify", "--projections", "--data-dir", directory, "--output", "json"])
        #expect(tampered.status == 65)
        #expect(tampered.stdout.contains(#""name":"account-balances","position":3,"entries":2"#))
        #expect(tampered.stdout.contains(#""matchesReplay":false,"differingKeys":["a-1"]"#))
        #expect(
            tampered.stderr
                == "tally: verification failed: these read models differ from a replay of the log: account-balances (keys a-1); rebuild them (tally projections rebuild <name>)\n"
        )
    }
}
