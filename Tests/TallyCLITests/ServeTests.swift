import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import LedgerProjection
import NIOCore
import NIOHTTP1
import Synchronization
import TallyStore
import TallyVerify
import TestProcesses
import Testing

/// A `tally serve` process on a loopback port, over its own data directory.
final class Server: Sendable {
    let process: Process
    let port: Int
    let directory: String
    let stderrPath: String
    /// Where its JSON log lines go (its standard output).
    let stdoutPath: String

    /// Starts `tally serve` on `<directory>/data` (a fresh temporary directory if `nil`), with `arguments` added.
    init(directory existing: String? = nil, environment: [String: String] = [:], arguments: [String] = []) throws {
        directory = existing ?? temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try freeLoopbackPort()
        stderrPath = "\(directory)/serve.err"
        stdoutPath = "\(directory)/serve.out"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process = Process()
        process.executableURL = tallyBinary
        process.arguments = ["serve", "--data-dir", "\(directory)/data", "--port", "\(port)"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Waits until `/health/live` answers.
    func waitUntilLive() async throws {
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: "\(url)/health/live"), timeout: .seconds(1)), response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("tally serve did not start: \(try String(contentsOfFile: stderrPath, encoding: .utf8))")
    }

    /// The admin token the server wrote to `admin.key` on its first start.
    var adminToken: String {
        get throws {
            try String(contentsOfFile: "\(directory)/data/admin.key", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Opens account `id` (EUR) over HTTP with the admin key, expecting 201.
    func openAccount(_ id: String) async throws {
        let answer = try await post(
            "\(url)/v1/commands/openAccount", token: try adminToken,
            json: #"{"id":"\#(id)","owner":"o","currency":"EUR"}"#)
        #expect(answer.status == 201)
    }

    func stop() {
        if exitStatusIfEnded(process) == nil { process.terminate() }
        _ = exitStatus(of: process)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// POSTs `json` to `path` with the bearer `token`; returns the status and body.
func post(_ url: String, token: String, json: String) async throws -> (status: UInt, body: [String: Any]) {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.body = .bytes(ByteBuffer(string: json))
    // Short: a request caught by the server's exit hangs until this timeout, not longer.
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3))
    let body = try await response.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    return (response.status.code, object)
}

@Suite("tally serve")
struct ServeTests {
    @Test func theFirstStartPrintsAnAdminKeyOnceAndStoresItPrivately() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let stderr = try String(contentsOfFile: server.stderrPath, encoding: .utf8)
        let token = try server.adminToken
        #expect(stderr.contains(token))
        #expect(stderr.contains("\(server.directory)/data/admin.key"))
        let mode = try FileManager.default.attributesOfItem(atPath: "\(server.directory)/data/admin.key")[
            .posixPermissions]
        #expect(mode as? Int == 0o600)
        let created = try await post(
            "\(server.url)/v1/commands/openAccount", token: token, json: #"{"id":"a","owner":"o","currency":"EUR"}"#)
        #expect(created.status == 201)
    }

    @Test func sigtermDrainsInFlightCommandsAndLosesNoAcknowledgedOne() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        try await server.openAccount("a")

        // 16 clients deposit until the server stops answering; SIGTERM lands in the middle.
        let acknowledged = try await withThrowingTaskGroup(of: [(position: Int, id: String)].self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var receipts: [(position: Int, id: String)] = []
                    while true {
                        guard
                            let answer = try? await post(
                                "\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"a","amount":1}"#),
                            answer.status == 201
                        else { return receipts }
                        let event = try #require((answer.body["events"] as? [[String: Any]])?.first)
                        receipts.append((try #require(event["position"] as? Int), try #require(event["id"] as? String)))
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(400))
            server.process.terminate()  // SIGTERM
            var all: [(position: Int, id: String)] = []
            for try await receipts in group { all += receipts }
            return all
        }
        #expect(exitStatus(of: server.process) == 0)
        #expect(!acknowledged.isEmpty)

        let log = try EventLog(path: "\(server.directory)/data", inlineProjectors: [AccountBalances()])
        defer { log.close() }
        for receipt in acknowledged {
            let event = try #require(try log.event(at: UInt64(receipt.position)))
            #expect(event.id.uuidString.lowercased() == receipt.id)
        }
        let balance = try log.queryProjection(named: "account-balances") { txn, table, _ in
            try AccountBalances.balance(of: "a", in: table, txn: txn)?.balance
        }
        #expect(balance.flatMap { $0 }.map { $0 >= Int64(acknowledged.count) } == true)
    }

    @Test(arguments: [
        (["serve", "--port", "70000"], [String: String](), "--port must be between 0 and 65535, not 70000."),
        (["serve"], ["TALLY_PORT": "eighty"], "TALLY_PORT must be a whole number, not eighty."),
        (["serve"], ["TALLY_MAX_BODY_BYTES": "0"], "TALLY_MAX_BODY_BYTES must be between 1 and 67108864, not 0."),
        (
            ["serve"], ["TALLY_LOG_LEVEL": "loud"],
            "log level must be trace, debug, info, notice, warning, error or critical, not loud."
        ),
        (["serve", "--body-timeout", "0"], [:], "--body-timeout must be between 1 and 3600, not 0."),
        (["serve"], ["TALLY_MAP_SIZE": "4096"], "TALLY_MAP_SIZE must be between 1048576 and 1099511627776, not 4096."),
        (
            ["serve", "--map-size", "4194304", "--max-map-size", "2097152"], [:],
            "the map size (4194304) must not exceed the largest map size (2097152)."
        ),
    ])
    func badSettingsAreUsageErrors(arguments: [String], environment: [String: String], message: String) throws {
        let run = try tally(arguments, environment: environment)
        #expect(run.status == 64)
        #expect(run.stderr.contains(message))
    }

    @Test func unsafeNoSyncServesAndSaysItIsUnsafe() async throws {
        // That commits then skip the disk is shown by tools/power-loss.py, which catches the losses.
        let server = try Server(arguments: ["--unsafe-no-sync"])
        defer { server.stop() }
        try await server.waitUntilLive()
        try await server.openAccount("nosync")
        let log = try String(contentsOfFile: server.stdoutPath, encoding: .utf8)
        #expect(log.contains(#""level":"warning""#))
        #expect(log.contains("UNSAFE: --unsafe-no-sync: commits do not wait for the disk"))
        let durable = try Server()
        defer { durable.stop() }
        try await durable.waitUntilLive()
        #expect(!(try String(contentsOfFile: durable.stdoutPath, encoding: .utf8)).contains("UNSAFE"))
    }

    @Test func aFlagWinsOverItsVariable() async throws {
        // The variable names a port that is refused; the flag's valid one must win.
        let server = try Server(environment: ["TALLY_PORT": "70000"])
        defer { server.stop() }
        try await server.waitUntilLive()
        #expect(exitStatusIfEnded(server.process) == nil)
    }
}

/// A raw TCP connection to the server, to hold connections open and watch them close.
/// A loopback port no socket holds right now, as the kernel picks one for a bind to port 0.
///
/// A random port (as before) now and then hit one in use (`bind: Address already in use`) with many
/// servers and client connections open at once; the kernel's pick skips every port in use, leaving
/// only the short window until `tally serve` binds it.
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 ? getsockname(descriptor, $0, &length) : -1
        }
    }
    guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return Int(UInt16(bigEndian: address.sin_port))
}

final class RawConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        // MSG_NOSIGNAL: a write after the server closed fails with EPIPE instead of killing the test process.
        _ = text.utf8CString.withUnsafeBufferPointer {
            Glibc.send(descriptor, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL))
        }
    }

    /// Reads what arrives within `timeout`: the bytes, or `nil` if the server closed the connection.
    func receive(within timeout: Duration) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = read(descriptor, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}

@Suite("tally serve connection limits")
struct ConnectionLimitTests {
    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        let server = try Server(environment: ["TALLY_IDLE_TIMEOUT": "1"])
        defer { server.stop() }
        try await server.waitUntilLive()
        let connection = try RawConnection(port: server.port)
        #expect(connection.receive(within: .milliseconds(300)) == "")  // still open
        #expect(connection.receive(within: .seconds(3)) == nil)  // closed by the server
    }

    @Test func connectionsBeyondTheCapWaitUntilOneCloses() async throws {
        let server = try Server(environment: ["TALLY_MAX_CONNECTIONS": "2"])
        defer { server.stop() }
        // Waits with one-shot raw connections: a pooled client connection would take one of the two slots.
        var live = false
        for _ in 0..<200 where !live {
            if let probe = try? RawConnection(port: server.port) {
                probe.send("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                live = probe.receive(within: .seconds(1))?.hasPrefix("HTTP/1.1 200") == true
            }
            if !live { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(live)
        var held: [RawConnection] = [try RawConnection(port: server.port), try RawConnection(port: server.port)]
        try await Task.sleep(for: .milliseconds(200))
        let third = try RawConnection(port: server.port)  // the kernel's backlog takes it; tally does not
        third.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(third.receive(within: .milliseconds(500)) == "")
        held.removeFirst()  // one closes: the waiting one is served
        let answer = third.receive(within: .seconds(5))
        #expect(answer?.hasPrefix("HTTP/1.1 200") == true)
        _ = held
    }
}

@Suite("Offline reads beside a running server")
struct OfflineBesideServerTests {
    @Test func offlineReadsSeeAGapFreePrefixWhileTheServerWritesAndEverythingAfter() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        try await server.openAccount("a")
        let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var count = 0
                    for _ in 0..<40 {
                        let answer = try await post(
                            "\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"a","amount":1}"#)
                        #expect(answer.status == 201)
                        count += 1
                    }
                    return count
                }
            }
            // Meanwhile, offline readers of the same directory.
            for _ in 0..<5 {
                let run = try tally([
                    "events", "--data-dir", "\(server.directory)/data", "--limit", "10000", "--output", "ndjson",
                ])
                #expect(run.status == 0, "\(run.stderr)")
                let positions = run.stdout.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["position"] as? Int
                }
                #expect(!positions.isEmpty)
                #expect(positions == (0..<positions.count).map { $0 + 1 })
            }
            return try await group.reduce(0, +)
        }
        let final = try tally([
            "events", "--data-dir", "\(server.directory)/data", "--limit", "10000", "--output", "ndjson",
        ])
        #expect(final.stdout.split(separator: "\n").count == acknowledged + 1)
        // The server kept its writer: it still takes commands.
        #expect(
            try await post("\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"a","amount":1}"#)
                .status
                == 201)
    }
}

@Suite("Offline writes beside a running server")
struct OfflineWritesBesideServerTests {
    @Test func anImportIntoTheServersDirectoryIsRefusedAndWritesNothing() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        try await server.openAccount("a")
        let export = try tally(["export", "--data-dir", "\(server.directory)/data"])
        let file = server.directory + "/events.ndjson"
        try Data(export.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let run = try tally(["import", file, "--data-dir", "\(server.directory)/data"])
        #expect(run.status == 75)
        #expect(
            run.stderr
                == "tally: \(server.directory)/data is open for writing by another process (a running tally serve?); stop it, or go through it with --url\n"
        )
        // The server still owns its log and goes on writing.
        #expect(
            try await post(
                "\(server.url)/v1/commands/deposit", token: try server.adminToken, json: #"{"account":"a","amount":1}"#
            )
            .status == 201)
        let status = try tally(["status", "--data-dir", "\(server.directory)/data", "--output", "json"])
        #expect(status.stdout.contains(#""events":2"#))
    }
}

@Suite("Reads through the server")
struct OnlineReadTests {
    @Test func everyReadingCommandPrintsTheSameThroughTheServerAsFromTheDirectory() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        try await server.openAccount("a-1")
        try await server.openAccount("a-2")
        for amount in [1250, 5] {
            #expect(
                try await post(
                    "\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"a-1","amount":\#(amount)}"#
                ).status == 201)
        }
        let online = ["--url", server.url]
        let offline = ["--data-dir", "\(server.directory)/data"]
        for command in [
            ["events", "--output", "ndjson"], ["events", "--type", "deposited", "--after", "3", "--output", "json"],
            ["events", "--limit", "2", "--output", "ndjson"],
            ["read", "account-a-1", "--backward", "--output", "ndjson"],
            ["read", "account-a-1", "--from", "1", "--limit", "1", "--output", "table"],
            ["streams", "--prefix", "account-", "--limit", "1", "--output", "ndjson"],
            ["query", "account-balances", "a-1", "--output", "ndjson"],
            ["query", "account-balances", "--prefix", "a-", "--output", "table"],
        ] {
            let remote = try tally(command + online, environment: ["TALLY_TOKEN": token])
            let local = try tally(command + offline)
            #expect(remote.status == 0, "\(command): \(remote.stderr)")
            #expect(!remote.stdout.isEmpty)
            #expect(remote.stdout == local.stdout, "\(command)")
            #expect(remote.stderr == local.stderr, "\(command)")
        }
        let statuses = try tally(
            ["projections", "--output", "ndjson"], environment: ["TALLY_URL": server.url, "TALLY_TOKEN": token])
        #expect(statuses.status == 0, "\(statuses.stderr)")
        #expect(statuses.stdout.split(separator: "\n").count == 3)
        #expect(statuses.stdout.contains(#""name":"trial-balance","version":1,"mode":"async""#))

        // Errors through the server: a missing key, a missing stream, no token.
        let missing = try tally(["query", "account-balances", "nobody"] + online, environment: ["TALLY_TOKEN": token])
        #expect(missing.status == 65)
        let noStream = try tally(["read", "account-zz"] + online, environment: ["TALLY_TOKEN": token])
        #expect(noStream.status == 65)
        #expect(noStream.stderr.contains("[stream-not-found]"))
        let anonymous = try tally(["events"] + online)
        #expect(anonymous.status == 77)
        let both = try tally(["events"] + online + offline)
        #expect(both.status == 64)
        #expect(both.stderr.contains("Give --data-dir or --url, not both."))
    }
}

@Suite("tally tail through the server")
struct OnlineTailTests {
    @Test func tailFollowsTheLiveFeedFromTheHeadAndExitsWhenTheServerStops() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        try await server.openAccount("a")
        let process = Process()
        process.executableURL = tallyBinary
        process.arguments = ["tail", "--url", server.url, "--type", "deposited", "--output", "ndjson"]
        process.environment = ProcessInfo.processInfo.environment.merging(["TALLY_TOKEN": token]) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if exitStatusIfEnded(process) == nil { process.terminate() } }
        let received = Mutex("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            received.withLock { $0 += chunk }
        }
        defer { out.fileHandleForReading.readabilityHandler = nil }
        try await Task.sleep(for: .milliseconds(500))
        try await server.openAccount("b")
        for account in ["a", "b"] {
            let answer = try await post(
                "\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"\#(account)","amount":7}"#)
            #expect(answer.status == 201)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while received.withLock({ $0.split(separator: "\n").count }) < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let events = received.withLock { $0 }.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.map { $0["position"] as? Int } == [3, 4])
        #expect(events.map { $0["stream"] as? String } == ["account-a", "account-b"])

        // A graceful shutdown ends the feed: tail says so and exits 69, as for any lost server.
        server.process.terminate()
        _ = exitStatus(of: server.process)
        let stopped = ContinuousClock.now + .seconds(10)
        var status = exitStatusIfEnded(process)
        while status == nil, ContinuousClock.now < stopped {
            try await Task.sleep(for: .milliseconds(20))
            status = exitStatusIfEnded(process)
        }
        #expect(status == 69)
        let stderr = String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        #expect(stderr == "tally: no answer from \(server.url); is tally serve running there?\n")
    }
}

@Suite("tally keys on a stopped server's data directory")
struct OfflineKeysTests {
    @Test func keysAreChangedOfflineOnlyWhileNoServerRunsAndWorkOnceItStarts() async throws {
        let first = try Server()
        try await first.waitUntilLive()
        let data = "\(first.directory)/data"
        let refused = try tally(["keys", "create", "--name", "rescue", "--role", "admin", "--data-dir", data])
        #expect(refused.status == 75)
        #expect(refused.stderr.contains("is open for writing by another process (a running tally serve?)"))
        first.process.terminate()
        _ = exitStatus(of: first.process)

        let created = try tally(["keys", "create", "--name", "rescue", "--role", "reader", "--data-dir", data])
        #expect(created.status == 0, "\(created.stderr)")
        let key = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let token = try #require(key["token"] as? String)
        let id = try #require(key["id"] as? String)
        #expect(key["role"] as? String == "reader")
        let listed = try tally(["keys", "list", "--data-dir", data])
        #expect(listed.stdout.contains(#""id":"\#(id)","name":"rescue","role":"reader""#))
        #expect(!listed.stdout.contains(token))
        #expect(try tally(["keys", "revoke", "nope", "--data-dir", data]).status == 65)
        #expect(try tally(["keys", "list", "--data-dir", data + "-missing"]).status == 65)
        #expect(try tally(["keys", "list", "--data-dir", data, "--url", "http://127.0.0.1:1"]).status == 64)

        // The server started again on the directory honours the key made offline.
        let second = try Server(directory: first.directory)
        defer { second.stop() }
        try await second.waitUntilLive()
        let read = try tally(["projections", "--url", second.url, "--token", token, "--output", "ndjson"])
        #expect(read.status == 0, "\(read.stderr)")
        let refusedWrite = try tally(["keys", "list", "--url", second.url, "--token", token])
        #expect(refusedWrite.status == 77)
        #expect(try tally(["keys", "revoke", id, "--url", second.url, "--token", try second.adminToken]).status == 0)
        #expect(try tally(["projections", "--url", second.url, "--token", token]).status == 77)
    }
}

@Suite("Backup and restore")
struct BackupTests {
    @Test func aBackupTakenUnderWriteLoadRestoresToAConsistentPrefixOfTheLog() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        try await server.openAccount("a")
        let backup = server.directory + "/backup"
        let run = try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<60 {
                        let answer = try await post(
                            "\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"a","amount":1}"#)
                        #expect(answer.status == 201)
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(150))
            let run = try tally(["backup", backup, "--data-dir", "\(server.directory)/data", "--output", "json"])
            try await group.waitForAll()
            return run
        }
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let events = try #require(summary["events"] as? Int)
        #expect(events >= 1)

        let restoredPath = server.directory + "/restored"
        let restore = try tally(["restore", backup, "--data-dir", restoredPath])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.hasPrefix("restored \(events) events"))
        #expect(FileManager.default.fileExists(atPath: restoredPath + "/api-keys.json"))

        // The restored log is exactly the first `events` events of the live one, tree and all, and
        // its balance read model matches its own events.
        server.process.terminate()
        _ = exitStatus(of: server.process)
        let live = try EventLog(path: "\(server.directory)/data", inlineProjectors: [AccountBalances()])
        let liveHead = try live.treeHead(size: UInt64(events))
        live.close()
        let restored = try EventLog(path: restoredPath, inlineProjectors: [AccountBalances()])
        defer { restored.close() }
        #expect(try restored.treeHead() == liveHead)
        let deposits = try restored.read(limit: 10_000, filter: EventFilter(types: ["deposited"])).events.count
        let balance = try restored.queryProjection(named: "account-balances") { txn, table, _ in
            try AccountBalances.balance(of: "a", in: table, txn: txn)?.balance
        }
        #expect(balance.flatMap { $0 } == Int64(deposits))
    }

    @Test func aBackupOrRestoreNeverOverwrites() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = try EventLog(path: directory + "/data")
        log.close()
        try FileManager.default.createDirectory(atPath: directory + "/full", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/full/something", contents: Data())
        let refused = try tally(["backup", directory + "/full", "--data-dir", directory + "/data"])
        #expect(refused.status == 73)
        #expect(refused.stderr.contains("is not empty; a backup or restore never overwrites"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/full") == ["something"])

        #expect(try tally(["backup", directory + "/backup", "--data-dir", directory + "/data"]).status == 0)
        let restore = try tally(["restore", directory + "/backup", "--data-dir", directory + "/data"])
        #expect(restore.status == 73)
        #expect(restore.stderr.contains("\(directory)/data is not empty"))
    }
}

@Suite("Online commands against tally serve")
struct OnlineCommandTests {
    @Test func ledgerCommandsTakeDecimalAmountsAndReportRejectionsAndMissingKeys() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        let online = ["TALLY_URL": server.url, "TALLY_TOKEN": token]
        #expect(
            try tally(["ledger", "open", "--id", "a", "--owner", "Ada", "--currency", "EUR"], environment: online)
                .status == 0)
        #expect(
            try tally(["ledger", "open", "--id", "y", "--owner", "Yu", "--currency", "JPY"], environment: online).status
                == 0)
        for (arguments, amount) in [
            (["--account", "a", "--amount", "12.5", "--currency", "EUR"], 1250),
            (["--account", "a", "--amount", "0.07", "--currency", "EUR"], 7),
            (["--account", "y", "--amount", "12", "--currency", "JPY"], 12),
        ] {
            let run = try tally(["ledger", "deposit"] + arguments, environment: online)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains(#""amount":\#(amount)}"#))
        }
        for amount in ["1.505", "abc", "-1", "1.", ".5"] {
            let run = try tally(
                ["ledger", "deposit", "--account", "a", "--amount", amount, "--currency", "EUR"], environment: online)
            #expect(run.status == 64, "\(amount)")
        }
        let refused = try tally(
            ["ledger", "withdraw", "--account", "a", "--amount", "100", "--currency", "EUR"], environment: online)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("Insufficient funds") && refused.stderr.contains("[insufficient-funds]"))

        let submitted = try tally(
            ["submit", "deposit", #"{"account":"a","amount":3}"#, "--idempotency-key", "k-1"], environment: online)
        #expect(submitted.status == 0)
        let again = try tally(
            ["submit", "deposit", #"{"account":"a","amount":3}"#, "--idempotency-key", "k-1"], environment: online)
        #expect(again.stdout.contains(#""replayed":true"#))

        let anonymous = try tally(["keys", "list"], environment: ["TALLY_URL": server.url, "TALLY_TOKEN": ""])
        #expect(anonymous.status == 77)
        #expect(anonymous.stderr.contains("Set --token or TALLY_TOKEN"))
        let unreachable = try tally(["keys", "list", "--url", "http://127.0.0.1:1"], environment: online)
        #expect(unreachable.status == 69)

        let rebuild = try tally(["projections", "rebuild", "trial-balance"], environment: online)
        #expect(rebuild.status == 0)
        #expect(rebuild.stdout.contains(#""state":"rebuilding""#))
        let inline = try tally(["projections", "rebuild", "account-balances"], environment: online)
        #expect(inline.status == 75)
        #expect(inline.stderr.contains("[projection-not-rebuildable]"))
    }

    @Test func keysAreCreatedListedAndRevokedOverTheServer() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        let online = ["TALLY_URL": server.url, "TALLY_TOKEN": token]
        let created = try tally(["keys", "create", "--name", "ci", "--role", "reader"], environment: online)
        #expect(created.status == 0)
        let key = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let id = try #require(key["id"] as? String)
        let readerToken = try #require(key["token"] as? String)
        #expect(try tally(["keys", "list"], environment: online).stdout.contains(id))
        // A reader may not submit: 403 is a permission error.
        let forbidden = try tally(
            ["submit", "deposit", #"{"account":"a","amount":1}"#],
            environment: ["TALLY_URL": server.url, "TALLY_TOKEN": readerToken])
        #expect(forbidden.status == 77)
        #expect(try tally(["keys", "revoke", id], environment: online).status == 0)
        let revoked = try tally(["keys", "list"], environment: ["TALLY_URL": server.url, "TALLY_TOKEN": readerToken])
        #expect(revoked.status == 77)
    }
}

@Suite("Checkpoints from tally serve, checked by tally audit and tally verify")
struct CheckpointCommandTests {
    /// Waits until `<data>/checkpoint.latest` states a tree of `size` events; returns the note.
    private func latestNote(in data: String, size: UInt64, verifier: CheckpointVerifier) async throws -> String {
        for _ in 0..<200 {
            if let note = try? String(contentsOfFile: "\(data)/checkpoint.latest", encoding: .utf8),
                let signed = try? SignedCheckpoint(verifying: note, with: verifier), signed.treeHead.size == size
            {
                return note
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no checkpoint of size \(size) appeared in \(data)/checkpoint.latest")
        return ""
    }

    @Test func thePeriodicSignerSignsTheGrownLogAndTheAuditCommandsCheckIt() async throws {
        let server = try Server(environment: ["TALLY_CHECKPOINT_INTERVAL": "1", "TALLY_ORIGIN": "example.com/ledger"])
        defer { server.stop() }
        try await server.waitUntilLive()
        let data = "\(server.directory)/data"
        let mode = try FileManager.default.attributesOfItem(atPath: "\(data)/checkpoint-signing.key")[.posixPermissions]
        #expect(mode as? Int == 0o600)
        let keyFile = "\(data)/checkpoint-verifier.key"
        let verifier = try CheckpointVerifier(parsing: try String(contentsOfFile: keyFile, encoding: .utf8))
        #expect(verifier.name == "example.com/ledger")
        #expect(try String(contentsOfFile: server.stderrPath, encoding: .utf8).contains(verifier.keyString))

        // The first checkpoint is of the empty log; the signer signs again once the log grew.
        _ = try await latestNote(in: data, size: 0, verifier: verifier)
        try await server.openAccount("a")
        try await server.openAccount("b")
        let note = try await latestNote(in: data, size: 2, verifier: verifier)
        let signed = try SignedCheckpoint(verifying: note, with: verifier)
        #expect(signed.checkpoint.origin == "example.com/ledger")

        let online = ["--url", server.url, "--token", try server.adminToken]
        let fetched = try tally(["audit", "checkpoint", "--size", "2", "--key", keyFile] + online)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout == note)
        let proved = try tally(["audit", "prove", "2", "--key", keyFile] + online)
        #expect(proved.status == 0, "\(proved.stderr)")
        #expect(proved.stdout.contains("verified: the event is in the signed tree of size 2"))
        let json = try tally(["audit", "prove", "1", "--key", keyFile, "--output", "json"] + online)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["verified"] as? Bool == true)
        #expect(object["root"] as? String == signed.treeHead.root.map { String(format: "%02x", $0) }.joined())
        let beyond = try tally(["audit", "prove", "3", "--key", keyFile] + online)
        #expect(beyond.status == 65)

        // The kept checkpoint of size 2 is extended by the latest once a third account grows the log.
        let kept = "\(server.directory)/kept.txt"
        try Data(fetched.stdout.utf8).write(to: URL(fileURLWithPath: kept))
        try await server.openAccount("c")
        _ = try await latestNote(in: data, size: 3, verifier: verifier)
        let consistent = try tally(["audit", "consistency", "--from", kept, "--key", keyFile] + online)
        #expect(consistent.status == 0, "\(consistent.stderr)")
        #expect(consistent.stdout.contains("signed tree of size 3"))
        #expect(consistent.stdout.contains("kept one of size 2"))

        // A key other than the pinned one: refused.
        let other = try CheckpointSigner.generate(name: "example.com/ledger")
        let otherFile = "\(server.directory)/other.key"
        try Data(other.verifier.keyString.utf8).write(to: URL(fileURLWithPath: otherFile))
        let impostor = try tally(["audit", "prove", "1", "--key", otherFile] + online)
        #expect(impostor.status == 65)
        #expect(impostor.stderr.contains("not signed by the pinned key"))
    }

    @Test func tallyVerifyPinsASignedCheckpointAndRejectsATamperedOne() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        try await server.openAccount("a")
        try await server.openAccount("b")
        let data = "\(server.directory)/data"
        let keyFile = "\(data)/checkpoint-verifier.key"
        let verifier = try CheckpointVerifier(parsing: try String(contentsOfFile: keyFile, encoding: .utf8))
        let signed = try await post("\(server.url)/v1/checkpoints", token: try server.adminToken, json: "")
        #expect(signed.status == 201)
        let note = try await latestNote(in: data, size: 2, verifier: verifier)
        #expect(signed.body["note"] as? String == note)

        let good = try tally([
            "verify", "--data-dir", data, "--checkpoint", "\(data)/checkpoint.latest", "--key", keyFile,
        ])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("reproduces the pinned root at size 2"))

        // Tampered: the size changed, a root bit flipped, the signature altered.
        var lines = note.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let tampered = [
            note.replacingOccurrences(of: "\n2\n", with: "\n1\n"),
            { () -> String in
                var root = Array(lines[2].utf8)
                root[0] = root[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                lines[2] = String(decoding: root, as: UTF8.self)
                return lines.joined(separator: "\n")
            }(),
            String(note.dropLast(3)) + (note.dropLast(2).last == "A" ? "B" : "A") + "=\n",
        ]
        for (index, text) in tampered.enumerated() {
            let file = "\(server.directory)/tampered-\(index).txt"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let run = try tally(["verify", "--data-dir", data, "--checkpoint", file, "--key", keyFile])
            #expect(run.status == 65, "tampered \(index): \(run.stdout) \(run.stderr)")
            #expect(run.stderr.hasPrefix("tally: "))
        }
    }
}

@Suite("tally serve's signing key")
struct SigningKeyTests {
    @Test func aGivenSigningKeySignsAndItsVerifierKeyIsWritten() async throws {
        // The test key of tools/checkpoint-vectors.py.
        let directory = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyFile = "\(directory)/signing.key"
        try Data(
            "PRIVATE+KEY+tally.local/test+31a9ffef+Aaf1dw+dYH3Q8DXVpIxi3gP1BHSFGg7ZT36PU60spP7j\n".utf8
        ).write(to: URL(fileURLWithPath: keyFile))
        let server = try Server(directory: directory, environment: ["TALLY_SIGNING_KEY": keyFile])
        defer { server.stop() }
        try await server.waitUntilLive()
        let data = "\(directory)/data"
        #expect(
            try String(contentsOfFile: "\(data)/checkpoint-verifier.key", encoding: .utf8)
                == "tally.local/test+31a9ffef+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6\n")
        #expect(!FileManager.default.fileExists(atPath: "\(data)/checkpoint-signing.key"))
        try await server.openAccount("a")
        let signed = try await post("\(server.url)/v1/checkpoints", token: try server.adminToken, json: "")
        let note = try #require(signed.body["note"] as? String)
        let verifier = try CheckpointVerifier(
            parsing: "tally.local/test+31a9ffef+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6")
        let checkpoint = try SignedCheckpoint(verifying: note, with: verifier)
        #expect(checkpoint.treeHead.size == 1)
        #expect(checkpoint.checkpoint.origin == "tally.local/test")
    }

    @Test(arguments: ["missing.key", "bad.key"])
    func anUnusableSigningKeyIsAUsageError(file: String) throws {
        let directory = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/bad.key"))
        let run = try tally(
            ["serve", "--data-dir", "\(directory)/data", "--port", "0", "--signing-key", "\(directory)/\(file)"])
        #expect(run.status == 64)
        #expect(run.stderr.contains(file))
    }
}

@Suite("tally erase")
struct EraseCommandTests {
    @Test func anErasedOwnerLeavesTheSignedHistoryVerifiableAndTheExportImportable() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        try await server.openAccount("a")
        try await server.openAccount("b")
        let data = "\(server.directory)/data"
        let keyFile = "\(data)/checkpoint-verifier.key"
        #expect(try await post("\(server.url)/v1/checkpoints", token: try server.adminToken, json: "").status == 201)
        let pinned = "\(server.directory)/pinned.txt"
        try FileManager.default.copyItem(atPath: "\(data)/checkpoint.latest", toPath: pinned)
        let online = ["--url", server.url, "--token", try server.adminToken]

        let erased = try tally(["erase", "1", "--field", "owner", "--reason", "GDPR request 118"] + online)
        #expect(erased.status == 0, "\(erased.stderr)")
        let answer = try #require(
            try JSONSerialization.jsonObject(with: Data(erased.stdout.utf8)) as? [String: Any])
        #expect(answer["erased"] as? [Int] == [1])
        // The books need everything but the owner: erasing the whole opening is refused, and nothing changes.
        let refused = try tally(["erase", "2", "--reason", "GDPR request 119"] + online)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("[erasure-refused]"), "\(refused.stderr)")

        let read = try tally(["events", "--data-dir", data, "--output", "json"])
        #expect(read.status == 0, "\(read.stderr)")
        let first = try #require(read.stdout.split(separator: "\n").first)
        #expect(first.contains(#""data":{"account":"a","currency":"EUR","overdraftLimit":0},"erasure":{"erasedBy":3,"#))

        // The checkpoint signed before the erasure still verifies, and so do the read models.
        let verified = try tally([
            "verify", "--data-dir", data, "--checkpoint", pinned, "--key", keyFile, "--projections",
        ])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")

        // An export carries the tombstones: imported elsewhere, it has the same root.
        let export = try tally(["export", "--data-dir", data])
        #expect(export.status == 0)
        let exportFile = "\(server.directory)/export.ndjson"
        try Data(export.stdout.utf8).write(to: URL(fileURLWithPath: exportFile))
        let root = try #require(export.stderr.split(separator: " ").last).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let imported = try tally([
            "import", "--data-dir", "\(server.directory)/copy", exportFile, "--expect-root", root,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
    }
}
