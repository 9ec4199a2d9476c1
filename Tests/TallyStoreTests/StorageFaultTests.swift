import Foundation
import TallyLMDB
import TallyStore
import TestProcesses
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Storage faults", .enabled(if: getuid() == 0, "mounting a size-capped tmpfs needs root (CI runs as root)"))
struct StorageFaultTests {
    @Test func aFullDiskRefusesWritesWithStorageFullKeepsEveryAcknowledgedEventAndRecovers() async throws {
        let mountPoint = temporaryPath()
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(try shell("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint) == 0)
        defer {
            _ = try? shell("umount", mountPoint)
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        // Fill part of the disk with a file we can delete later to give space back.
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 2 << 20)))

        let path = mountPoint + "/data"
        var options = EventLog.Options()
        options.environment.mapSize = 64 << 20  // address space: far more than the disk holds
        var log = try EventLog(path: path, options: options)
        let payload = "\"" + String(repeating: "x", count: 32 << 10) + "\""
        var acknowledged: [AppendReceipt] = []
        var refusal: (any Error)?
        for index in 0..<200 {
            do {
                acknowledged.append(try await log.append(try event("fill-\(index)", data: payload)))
            } catch {
                refusal = error
                break
            }
        }
        #expect(refusal as? EventLogError == .storageFull)
        #expect(acknowledged.count > 10)
        // Reads keep working, and every acknowledged event is there.
        #expect(try log.allEvents().map(\.position) == acknowledged.map { $0.events[0].position })

        // Space returns: writes resume where they stopped, without a gap.
        try FileManager.default.removeItem(atPath: filler)
        let resumed = try await log.append(try event("after-space-returns", data: payload))
        #expect(resumed.events[0].position == UInt64(acknowledged.count + 1))

        // And all of it survives reopening.
        log.close()
        log = try EventLog(path: path, options: options)
        defer { log.close() }
        let events = try log.allEvents()
        #expect(events.count == acknowledged.count + 1)
        #expect(events.allSatisfy { Array($0.data) == Array(payload.utf8) })
        #expect(try log.treeHead() == resumed.checkpoint)
    }
}
