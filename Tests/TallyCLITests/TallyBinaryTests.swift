import Foundation
import TallyLMDB
import TallyStore
import TallyVerify
import TestProcesses
import Testing

/// The built `tally` executable, beside the test bundle in the build products directory.
let tallyBinary: URL = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
    return directory.appendingPathComponent("tally")
}()

/// The repository root, for golden files.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What one run of the binary printed and how it exited.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the real `tally` binary with `arguments` and waits for it.
func tally(_ arguments: String...) throws -> Run { try tally(arguments) }

/// Runs the real `tally` binary with `arguments` (and `environment` added to this process's) and waits for it.
func tally(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = tallyBinary
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    // Files, not pipes: a pipe's end inherited by a server another test starts meanwhile would
    // keep it open, and reading it to its end would wait for that server.
    let output = temporaryDataDirectory()
    _ = FileManager.default.createFile(atPath: output + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: output + ".out")
        try? FileManager.default.removeItem(atPath: output + ".err")
    }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".err"))
    try process.run()
    let status = exitStatus(of: process)
    return Run(
        status: status, stdout: try String(contentsOfFile: output + ".out", encoding: .utf8),
        stderr: try String(contentsOfFile: output + ".err", encoding: .utf8))
}

func temporaryDataDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tally-cli-\(UUID().uuidString)").path
}

@Suite("The tally binary")
struct TallyBinaryTests {
    @Test(arguments: [
        (["--help"], "tally-help.txt"), (["status", "--help"], "tally-status-help.txt"),
        (["serve", "--help"], "tally-serve-help.txt"), (["events", "--help"], "tally-events-help.txt"),
        (["read", "--help"], "tally-read-help.txt"), (["streams", "--help"], "tally-streams-help.txt"),
        (["query", "--help"], "tally-query-help.txt"), (["backup", "--help"], "tally-backup-help.txt"),
        (["restore", "--help"], "tally-restore-help.txt"), (["projections", "--help"], "tally-projections-help.txt"),
        (["export", "--help"], "tally-export-help.txt"), (["tail", "--help"], "tally-tail-help.txt"),
        (["submit", "--help"], "tally-submit-help.txt"),
        (["ledger", "deposit", "--help"], "tally-ledger-deposit-help.txt"),
        (["keys", "--help"], "tally-keys-help.txt"), (["import", "--help"], "tally-import-help.txt"),
        (["verify", "--help"], "tally-verify-help.txt"), (["replay", "--help"], "tally-replay-help.txt"),
        (["audit", "--help"], "tally-audit-help.txt"),
        (["audit", "checkpoint", "--help"], "tally-audit-checkpoint-help.txt"),
        (["audit", "prove", "--help"], "tally-audit-prove-help.txt"),
        (["audit", "consistency", "--help"], "tally-audit-consistency-help.txt"),
        (["erase", "--help"], "tally-erase-help.txt"),
    ])
    func helpTextMatchesItsGoldenCopy(arguments: [String], golden: String) throws {
        let process = try tally(arguments)
        let expected = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tests/TallyCLITests/Golden/\(golden)"), encoding: .utf8)
        #expect(process.status == 0)
        #expect(process.stdout == expected)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func shellCompletionScriptsKnowEverySubcommand(shell: String) throws {
        let run = try tally(["--generate-completion-script", shell])
        #expect(run.status == 0)
        for subcommand in ["serve", "events", "query", "tail", "backup", "restore", "submit", "ledger", "keys"] {
            #expect(run.stdout.contains(subcommand), "\(shell) script lacks \(subcommand)")
        }
    }

    @Test func statusCreatesAnEmptyLogAndReportsIt() throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try tally("status", "--data-dir", directory)
        #expect(run.status == 0)
        #expect(run.stdout.contains("events          0\n"))
        #expect(
            run.stdout.contains("merkle root     e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"))
        #expect(FileManager.default.fileExists(atPath: directory + "/data.mdb"))
    }

    @Test func statusCreatesMissingParentDirectories() throws {
        let root = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try tally("status", "--data-dir", root + "/nested/deeper/data")
        #expect(run.status == 0)
        #expect(FileManager.default.fileExists(atPath: root + "/nested/deeper/data/data.mdb"))
    }

    @Test func statusAsJSONReportsTheLogWrittenBefore() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let head: TreeHead
        do {
            let log = try EventLog(path: directory)
            for name in ["account-1", "account-2", "account-1"] {
                let event = try ProposedEvent(stream: StreamID(name), type: "opened", data: Array("{}".utf8))
                try await log.append(AppendRequest(stream: event.stream, events: [event]))
            }
            head = try log.treeHead()
            log.close()
        }
        let run = try tally("status", "--data-dir", directory, "--output", "json")
        #expect(run.status == 0)
        struct Report: Decodable {
            var events: UInt64
            var streams: Int
            var merkleRoot: String
            var mapSizeBytes: Int
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.events == 3)
        #expect(report.streams == 2)
        #expect(report.merkleRoot == head.root.map { String(format: "%02x", $0) }.joined())
        #expect(report.mapSizeBytes > 0)
    }

    @Test func aDataDirectoryThatIsAFileIsAnIOErrorWithOneClearLine() throws {
        let file = temporaryDataDirectory()
        #expect(FileManager.default.createFile(atPath: file, contents: Data("not a directory".utf8)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try tally("status", "--data-dir", file)
        #expect(run.status == 74)  // EX_IOERR
        #expect(run.stderr == "tally: cannot use the data directory \(file): Not a directory (open tally.lock)\n")
        #expect(run.stdout.isEmpty)
    }

    @Test func aLogFromANewerFormatIsADataError() throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let env = try Environment(path: directory)
            let meta = try #require(try env.openDatabase("meta"))
            try env.write { txn in try txn.put([0, 0, 0, 7], forKey: Array("format-version".utf8), in: meta) }
            env.close()
        }
        let run = try tally("status", "--data-dir", directory)
        #expect(run.status == 65)  // EX_DATAERR
        #expect(run.stderr.contains("format 7, newer than this tally understands"))
    }

    @Test func anUnknownOutputFormatIsAUsageError() throws {
        let run = try tally("status", "--output", "yaml")
        #expect(run.status == 64)  // EX_USAGE
        #expect(run.stderr.contains("--output"))
    }
}
