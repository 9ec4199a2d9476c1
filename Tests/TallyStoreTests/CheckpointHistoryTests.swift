import Foundation
import TallyLMDB
import TallyStore
import TallyVerify
import Testing

@Suite("Checkpoint history")
struct CheckpointHistoryTests {
    let signer = try! CheckpointSigner.generate(name: "tally.local/test")

    @Test func signingStoresACheckpointOfTheHeadOnlyWhenItMoved() async throws {
        try await withLog { log in
            #expect(try log.latestCheckpoint() == nil)
            let (empty, emptyIsNew) = try await log.signCheckpoint(origin: "tally.local/test", with: signer)
            #expect(emptyIsNew && empty.size == 0)
            try await log.append(try event("account-1"), try event("account-1"), try event("account-1"))
            let (first, firstIsNew) = try await log.signCheckpoint(origin: "tally.local/test", with: signer)
            #expect(firstIsNew && first.size == 3)
            let (again, againIsNew) = try await log.signCheckpoint(origin: "tally.local/test", with: signer)
            #expect(!againIsNew && again == first)

            let opened = try SignedCheckpoint(verifying: first.note, with: signer.verifier)
            #expect(opened.treeHead == (try log.treeHead(size: 3)))
            #expect(opened.checkpoint.origin == "tally.local/test")
            #expect(try log.latestCheckpoint() == first)
            #expect(try log.checkpoint(size: 3) == first)
            #expect(try log.checkpoint(size: 2) == nil)
        }
    }

    @Test func historyIsListedBySizeInPages() async throws {
        try await withLog { log in
            var signed: [StoredCheckpoint] = []
            for _ in 0..<5 {
                try await log.append(try event("account-1"))
                signed.append(try await log.signCheckpoint(origin: "tally.local/test", with: signer).checkpoint)
            }
            #expect(signed.map(\.size) == [1, 2, 3, 4, 5])
            let first = try log.checkpoints(after: 0, limit: 2)
            #expect(first.checkpoints == Array(signed[0..<2]) && first.next == 2)
            let rest = try log.checkpoints(after: 2, limit: 10)
            #expect(rest.checkpoints == Array(signed[2...]) && rest.next == nil)
            for checkpoint in signed {
                let head = try SignedCheckpoint(verifying: checkpoint.note, with: signer.verifier).treeHead
                #expect(head == (try log.treeHead(size: checkpoint.size)))
                // Every stored checkpoint is consistent with the latest one.
                try log.consistencyProof(from: checkpoint.size, to: 5).verify(from: head, to: try log.treeHead())
            }
        }
    }

    @Test func aNewKeyOrOriginSignsTheHeadAgainAtOnce() async throws {
        try await withLog { log in
            try await log.append(try event("account-1"), try event("account-1"))
            _ = try await log.signCheckpoint(origin: "tally.local/test", with: signer)
            let rotated = try CheckpointSigner.generate(name: "tally.local/test")
            let (resigned, isNew) = try await log.signCheckpoint(origin: "tally.local/test", with: rotated)
            #expect(isNew && resigned.size == 2)
            #expect(try SignedCheckpoint(verifying: resigned.note, with: rotated.verifier).treeHead.size == 2)
            #expect(try log.checkpoints().checkpoints == [resigned])
            let (renamed, renamedIsNew) = try await log.signCheckpoint(origin: "example.com/other", with: rotated)
            #expect(renamedIsNew)
            #expect(try Checkpoint(unverifiedNote: renamed.note).origin == "example.com/other")
            #expect(try await log.signCheckpoint(origin: "example.com/other", with: rotated).isNew == false)
        }
    }

    @Test func aReadOnlyOpenOfALogWithoutCheckpointsReadsAnEmptyHistory() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try EventLog(path: path)
        try await log.append(try event("account-1"))
        log.close()
        // What a log written before checkpoints existed looks like: no `checkpoints` database.
        try dropDatabase("checkpoints", at: path)

        let readOnly = try ReadOnlyLog(path: path)
        #expect(try readOnly.latestCheckpoint() == nil)
        #expect(try readOnly.checkpoint(size: 1) == nil)
        #expect(try readOnly.checkpoints().checkpoints.isEmpty)
        readOnly.close()

        // A writable open creates it again, and signing works.
        let reopened = try EventLog(path: path)
        defer { reopened.close() }
        #expect(try await reopened.signCheckpoint(origin: "tally.local/test", with: signer).checkpoint.size == 1)
    }
}

/// Deletes the database `name` of the environment at `path` (synchronous: LMDB's writes block their thread).
private func dropDatabase(_ name: String, at path: String) throws {
    let environment = try Environment(path: path)
    defer { environment.close() }
    guard let database = try environment.openDatabase(name) else { return }
    try environment.write { txn in try txn.drop(database) }
}
