import Foundation
import HTTPTypes
import HummingbirdTesting
import TallyHTTP
import TallyLMDB
import TallyStore
import TestProcesses
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(
    "A full disk over HTTP", .enabled(if: getuid() == 0, "mounting a size-capped tmpfs needs root (CI runs as root)"))
struct StorageFullTests {
    @Test func writesAre507ReadsGoOnAndWritesResumeWhenSpaceReturns() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("tally-http-full-\(UUID())").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(try shell("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint) == 0)
        defer {
            _ = try? shell("umount", mountPoint)
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 2 << 20)))
        var options = EventLog.Options()
        options.environment.mapSize = 64 << 20  // address space: far more than the disk holds
        try await Harness.with(logOptions: options, logPath: mountPoint + "/data") { harness in
            try await harness.client { client in
                let body = #"{"events":[{"type":"fill","data":""# + String(repeating: "x", count: 32 << 10) + #""}]}"#
                var acknowledged = 0
                var refusal: TestResponse?
                for _ in 0..<200 {
                    let response = try await client.send(
                        .post, "/v1/streams/fill-1/events", as: harness.tokens[.writer], json: body)
                    guard response.status == .created else {
                        refusal = response
                        break
                    }
                    acknowledged += 1
                }
                let refused = try #require(refusal)
                #expect(refused.status.code == 507)
                #expect(try refused.problemSlug == "storage-full")
                #expect(acknowledged > 10)

                let read = try await client.send(
                    .get, "/v1/streams/fill-1/events?limit=1000", as: harness.tokens[.reader])
                #expect(read.status == .ok)
                #expect((try read.object["events"] as? [[String: Any]])?.count == acknowledged)

                try FileManager.default.removeItem(atPath: filler)
                let resumed = try await client.send(
                    .post, "/v1/streams/fill-1/events", as: harness.tokens[.writer], json: body)
                #expect(resumed.status == .created)
                #expect((try resumed.object["positions"] as? [String: Int])?["first"] == acknowledged + 1)
            }
        }
    }
}
