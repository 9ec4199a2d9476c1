import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TestProcesses
import Testing

/// The commands of the README block after `<!-- walkthrough: <name> -->`, comments dropped.
private func walkthroughBlock(_ name: String) throws -> String {
    let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let marker = try #require(readme.range(of: "<!-- walkthrough: \(name) -->\n```sh\n"), "README block \(name)")
    let end = try #require(readme.range(of: "\n```", range: marker.upperBound..<readme.endIndex))
    return readme[marker.upperBound..<end.lowerBound].split(separator: "\n")
        .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
}

/// Text a pipe delivers, collected off the test's thread.
private final class Collected: Sendable {
    let text = Mutex("")
}

/// A shell running one README block in `directory`, with the built `tally` first on the `PATH`.
private final class Terminal: Sendable {
    let process = Process()
    private let output = Collected()
    private let errors = Collected()

    init(_ script: String, in directory: String) throws {
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let path =
            tallyBinary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        process.environment = ProcessInfo.processInfo.environment.merging(["PATH": path]) { _, new in new }
            .filter { !$0.key.hasPrefix("TALLY_") }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [output] handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0 += chunk }
        }
        err.fileHandleForReading.readabilityHandler = { [errors] handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            errors.text.withLock { $0 += chunk }
        }
        try process.run()
    }

    var stdout: String { output.text.withLock { $0 } }
    var stderr: String { errors.text.withLock { $0 } }

    /// Waits up to 60 s for the shell to finish; returns its exit status.
    func finish() async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(60)
        var status = exitStatusIfEnded(process)
        while status == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = exitStatusIfEnded(process)
        }
        try await Task.sleep(for: .milliseconds(100))  // the last output still in the pipes
        return status ?? -1
    }

    func stop() {
        if exitStatusIfEnded(process) == nil { process.terminate() }
        _ = exitStatus(of: process)
    }
}

/// The objects of NDJSON text.
private func objects(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

@Suite("The README walk-through")
struct ReadmeWalkthroughTests {
    @Test func theWalkthroughRunsAsWrittenAndPrintsWhatItSays() async throws {
        let directory = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let server = try Terminal(try walkthroughBlock("server"), in: directory)
        defer { server.stop() }
        var live = false
        for _ in 0..<300 where !live {
            let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:8080/health/live"), timeout: .seconds(1))
            live =
                response?.status == .ok && FileManager.default.fileExists(atPath: "\(directory)/tally-data/admin.key")
            if !live { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(live, "tally serve did not start on port 8080: \(server.stderr)")

        let tail = try Terminal(try walkthroughBlock("tail"), in: directory)
        defer { tail.stop() }
        let client = try Terminal(try walkthroughBlock("client"), in: directory)
        #expect(try await client.finish() == 65, "the walk-through ends with the refused withdrawal")

        let answers = objects(client.stdout)
        let balances = answers.compactMap { $0["value"] as? [String: Any] }.filter { $0["balance"] != nil }
        #expect(balances.map { $0["id"] as? String } == ["alice", "bob"])
        #expect(balances.map { $0["balance"] as? Int } == [8750, 1250])
        let statement = answers.filter { ($0["key"] as? String)?.hasPrefix("bob:") == true }
        #expect(statement.count == 1)
        #expect(statement.allSatisfy { ($0["position"] as? Int ?? 0) >= 5 })
        #expect(answers.filter { $0["commandType"] != nil }.count == 4, "four receipts: \(client.stdout)")
        #expect(
            client.stderr.hasPrefix("tally: Insufficient funds: ") && client.stderr.hasSuffix("[insufficient-funds]\n")
                && client.stderr.split(separator: "\n").count == 1, "\(client.stderr)")

        let deadline = ContinuousClock.now + .seconds(10)
        while objects(tail.stdout).count < 5, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let events = objects(tail.stdout)
        #expect(events.map { $0["position"] as? Int } == [1, 2, 3, 4, 5])
        #expect(
            events.map { $0["type"] as? String } == [
                "accountOpened", "accountOpened", "deposited", "transferDebited", "transferCredited",
            ])
    }
}
