import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TallyLMDB
import TestProcesses
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Waits until `file` contains `text`, for at most `timeout`; whether it did.
private func logContains(_ text: String, file: String, within timeout: Duration) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? String(contentsOfFile: file, encoding: .utf8))?.contains(text) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}

/// GETs `path` with the bearer `token`; returns the status.
private func get(_ url: String, token: String) async throws -> UInt {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
    _ = try await response.body.collect(upTo: 1 << 20)
    return response.status.code
}

/// Read transactions held open in this process, on one thread each, until ``release()``.
///
/// LMDB's reader table lives in the shared `lock.mdb`, so a reader here takes a slot that the
/// server can no longer use; holding every slot drives the server's reads to `MDB_READERS_FULL`.
private final class HeldReaders: Sendable {
    private let environment: Environment
    private let gate = DispatchSemaphore(value: 0)
    private let count = Mutex(0)
    /// Whether the last ``takeOne()`` got a slot (it runs one at a time).
    private let took = Mutex(false)

    init(path: String) throws {
        var options = Environment.Options()
        options.readOnly = true
        environment = try Environment(path: path, options: options)
    }

    /// Takes one more slot; `false` once LMDB refuses (every slot is taken).
    func takeOne() -> Bool {
        let outcome = DispatchSemaphore(value: 0)
        took.withLock { $0 = false }
        let thread = Thread { [self] in
            do {
                try environment.read { _ in
                    took.withLock { $0 = true }
                    outcome.signal()
                    gate.wait()
                }
            } catch {
                outcome.signal()
            }
        }
        thread.start()
        outcome.wait()
        let gotOne = took.withLock { $0 }
        if gotOne { count.withLock { $0 += 1 } }
        return gotOne
    }

    /// Ends every held transaction and closes the environment.
    func release() {
        for _ in 0..<count.withLock({ $0 }) { gate.signal() }
        environment.close()  // waits for the transactions to end
    }
}

@Suite("tally serve under faults")
struct ServeFaultTests {
    @Test func aClientThatTricklesABodyIsDisconnectedAtTheBodyTimeout() async throws {
        // The idle timeout is long: body bytes count as activity for it, so only the body timeout can end this.
        let server = try Server(environment: ["TALLY_BODY_TIMEOUT": "1", "TALLY_IDLE_TIMEOUT": "60"])
        defer { server.stop() }
        try await server.waitUntilLive()
        let connection = try RawConnection(port: server.port)
        // /health/live answers 405 to a POST without reading its body, which the server then drains.
        connection.send("POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        let started = ContinuousClock.now
        var received = ""
        var closed = false
        for _ in 0..<50 where !closed {
            connection.send("x")
            if let text = connection.receive(within: .milliseconds(200)) { received += text } else { closed = true }
        }
        #expect(received.hasPrefix("HTTP/1.1 405"))
        #expect(closed, "the server still held the connection after \(ContinuousClock.now - started)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aMalformedChunkedBodyIsABadRequestNotAnInternalError() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let connection = try RawConnection(port: server.port)
        connection.send(
            "POST /v1/streams/s-1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(try server.adminToken)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        var answer = ""
        while let text = connection.receive(within: .seconds(5)), !text.isEmpty { answer += text }
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
        #expect(answer.contains("problems/invalid-body"))
    }

    @Test func readsAre503WhileEveryReaderSlotIsTakenAndTheProjectionsPauseWithoutStoppingTheServer() async throws {
        let server = try Server()
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        try await server.openAccount("a")

        let readers = try HeldReaders(path: "\(server.directory)/data")
        var released = false
        defer { if !released { readers.release() } }
        // Take every free slot; a slot the server held a moment is taken on a later round.
        var busy = false
        for _ in 0..<20 where !busy {
            while readers.takeOne() {}
            busy = try await get("\(server.url)/v1/streams/account-a/events", token: token) == 503
        }
        try #require(busy)

        // The deposit commits in the writer, which needs no reader slot, and is answered in full from
        // the writer's copy of its events; the commit wakes the projection runner, whose read fails.
        let deposit = try await post(
            "\(server.url)/v1/commands/deposit", token: token, json: #"{"account":"a","amount":5}"#)
        #expect(deposit.status == 201)
        let events = deposit.body["events"] as? [[String: Any]] ?? []
        #expect(events.map { $0["type"] as? String } == ["deposited"], "\(deposit.body)")
        #expect(try await logContains("Projections paused", file: server.stdoutPath, within: .seconds(10)))
        #expect(exitStatusIfEnded(server.process) == nil)
        #expect(try await get("\(server.url)/health/live", token: token) == 200)

        readers.release()
        released = true
        // Position 1 opened the account, 2 is the deposit: the paused projection resumes and reaches it.
        #expect(
            try await get(
                "\(server.url)/v1/projections/account-statements?prefix=a:&minPosition=2", token: token) == 200)
    }

    @Test func theMapGrowsPastItsStartingSizeAndAtItsLimitAppendsAre507() async throws {
        let server = try Server(environment: ["TALLY_MAP_SIZE": "\(1 << 20)", "TALLY_MAX_MAP_SIZE": "\(4 << 20)"])
        defer { server.stop() }
        try await server.waitUntilLive()
        let token = try server.adminToken
        let body = #"{"events":[{"type":"fill","data":{"pad":""# + String(repeating: "x", count: 32 << 10) + #""}}]}"#
        var statuses: [UInt] = []
        while statuses.last != 507, statuses.count < 400 {
            statuses.append(try await post("\(server.url)/v1/streams/fill-1/events", token: token, json: body).status)
        }
        let acknowledged = statuses.prefix { $0 == 201 }.count
        // 32 KiB events: 1 MiB holds about 30 of them; the map doubled to 2 MiB, then 4 MiB, then refused.
        #expect(acknowledged > 40)
        #expect(statuses.last == 507)
        #expect(statuses.allSatisfy { $0 == 201 || $0 == 507 })
        #expect(try await logContains("Grew the map", file: server.stdoutPath, within: .seconds(1)))
        #expect(try await get("\(server.url)/v1/streams/fill-1/events?limit=1", token: token) == 200)
        #expect(exitStatusIfEnded(server.process) == nil)
    }
}

@Suite(
    "tally serve on a read-only data directory",
    .enabled(if: getuid() == 0, "mounting a read-only tmpfs needs root (CI runs as root)"))
struct ReadOnlyDataDirectoryTests {
    @Test func startingIsRefusedWithOneLineNamingTheDirectory() throws {
        let mountPoint = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(try shell("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint) == 0)
        defer {
            _ = try? shell("umount", mountPoint)
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        try #require(try tally("status", "--data-dir", "\(mountPoint)/data").status == 0)  // a log exists
        try #require(try shell("mount", "-o", "remount,ro", mountPoint) == 0)

        let hint = "; tally needs it writable: mount it read-write, or choose another --data-dir"
        for (directory, operation) in [("\(mountPoint)/data", "open tally.lock"), ("\(mountPoint)/new/data", "mkdir")] {
            let run = try tally("serve", "--data-dir", directory, "--port", "0")
            #expect(run.status == 77)  // EX_NOPERM
            #expect(
                run.stderr
                    == "tally: cannot use the data directory \(directory): Read-only file system (\(operation))\(hint)\n"
            )
            #expect(run.stdout.isEmpty)
        }
    }
}

@Suite(
    "tally serve on a full disk",
    .enabled(if: getuid() == 0, "mounting a size-capped tmpfs needs root (CI runs as root)"))
struct FullDiskStartTests {
    /// Mounts a 4 MiB tmpfs at `<directory>/data` (the server's own output stays outside it) and
    /// runs `body` with the directory; unmounts and removes it afterwards.
    private func withSmallDisk(_ body: (String) async throws -> Void) async throws {
        let directory = temporaryDataDirectory()
        let data = "\(directory)/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try #require(try shell("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", data) == 0)
        defer {
            _ = try? shell("umount", data)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await body(directory)
    }

    /// Fills the file system holding `directory` to its last block (`dd` stops at ENOSPC).
    private func fill(_ directory: String) throws {
        _ = try shell("dd", "if=/dev/zero", "of=\(directory)/filler", "bs=4096", "status=none")
        var status = statvfs()
        try #require(statvfs(directory, &status) == 0)
        try #require(status.f_bavail == 0)
    }

    @Test func aNewLogOnAFullDiskIsRefusedWithOneLineNotACrash() async throws {
        try await withSmallDisk { directory in
            let data = "\(directory)/data"
            try fill(data)
            // Before, LMDB's first write to its sparse, memory-mapped lock file was a SIGBUS (exit 135).
            let run = try tally("serve", "--data-dir", data, "--port", "0")
            #expect(run.status == 73)  // EX_CANTCREAT
            #expect(
                run.stderr
                    == "tally: cannot use the data directory \(data): No space left on device (allocate lock.mdb); free disk space, then try again\n"
            )
        }
    }

    @Test func aLogOnADiskThatFilledUpStartsAgainServesReadsAndRefusesWritesWith507() async throws {
        try await withSmallDisk { directory in
            let first = try Server(directory: directory)
            try await first.waitUntilLive()
            try await first.openAccount("a")
            first.process.terminate()  // not stop(): that removes the directory
            _ = exitStatus(of: first.process)
            try fill("\(directory)/data")

            // Before, every start rewrote checkpoint-verifier.key and exited 70 on ENOSPC.
            let again = try Server(directory: directory)
            defer { again.stop() }
            try await again.waitUntilLive()
            let token = try again.adminToken
            #expect(try await get("\(again.url)/v1/projections/account-balances/a", token: token) == 200)
            let deposit = try await post(
                "\(again.url)/v1/commands/deposit", token: token, json: #"{"account":"a","amount":5}"#)
            #expect(deposit.status == 507)
            #expect(deposit.body["type"] as? String == "https://tally.dev/problems/storage-full")
        }
    }
}
