import Foundation
import TallyLMDB
import TallyStore
import TallyVerify

/// The auditor's figures: verifying a whole log, making and checking proofs, signing checkpoints.
enum VerifyFigures {
    /// Fills a fresh log (no `fsync`: only its contents matter here) with `count` events of about
    /// 100 bytes over 1000 streams, in appends of 1000.
    static func fill(_ path: String, count: Int, mapSize: Int) async throws -> EventLog {
        var options = EventLog.Options()
        options.environment.mapSize = mapSize
        options.environment.durability = .unsafeNoSync
        let log = try EventLog(path: path, options: options)
        var appended = 0
        while appended < count {
            let events = try (appended..<min(appended + 1000, count)).map { index in
                try ProposedEvent(
                    stream: StreamID("account-\(index % 1000)"), type: "deposited", tags: ["account:\(index % 1000)"],
                    data: Array(#"{"account":"account-\#(index % 1000)","amount":\#(index),"note":"benchmark"}"#.utf8),
                    metadata: Array(#"{"actor":"bench"}"#.utf8))
            }
            try await log.append(AppendRequest(events: events))
            appended += events.count
        }
        return log
    }

    /// One run: `tally verify`'s work over the whole log (events per second), then inclusion and
    /// consistency proofs made from stored nodes and checked (proofs per second, each for `budget`).
    static func measure(
        _ log: EventLog, budget: Duration, run: Int, into report: inout Report
    ) throws {
        let head = try log.treeHead()
        var start = ContinuousClock.now
        let cpuStart = cpuSeconds()
        let verified = try log.verify(against: head)
        let cpuUsed = cpuSeconds() - cpuStart
        report.record(
            Sample(events: Int(verified.head.size), seconds: (ContinuousClock.now - start).seconds), id: "verify",
            label: "verify the whole log (leaves, nodes, pinned root)")
        // The work per event whatever the machine's load: wall time on a shared machine says more
        // about the other processes than about verify.
        report.record(
            Sample(events: Int(verified.head.size), seconds: cpuUsed), id: "verify-cpu",
            label: "verify per CPU second (user + system, all threads)")

        var random = SplitMix64(seed: UInt64(run))
        var proofs: [(InclusionProof, [UInt8])] = []
        start = ContinuousClock.now
        while ContinuousClock.now - start < budget {
            for _ in 0..<100 {
                let position = 1 + random.next() % head.size
                let proof = try log.inclusionProof(position: position, treeSize: head.size)
                let leaf = try log.event(at: position)!.leafHash
                proofs.append((proof, leaf))
            }
        }
        report.record(
            Sample(events: proofs.count, seconds: (ContinuousClock.now - start).seconds), id: "inclusion-make",
            label: "inclusion proofs made (random position, whole tree)")
        start = ContinuousClock.now
        for (proof, leaf) in proofs { try proof.verify(leafHash: leaf, against: head) }
        report.record(
            Sample(events: proofs.count, seconds: (ContinuousClock.now - start).seconds), id: "inclusion-check",
            label: "inclusion proofs checked")

        var consistency: [(ConsistencyProof, TreeHead)] = []
        start = ContinuousClock.now
        while ContinuousClock.now - start < budget {
            for _ in 0..<100 {
                let old = try log.treeHead(size: 1 + random.next() % head.size)
                consistency.append((try log.consistencyProof(from: old.size, to: head.size), old))
            }
        }
        report.record(
            Sample(events: consistency.count, seconds: (ContinuousClock.now - start).seconds), id: "consistency-make",
            label: "consistency proofs made (random old size)")
        start = ContinuousClock.now
        for (proof, old) in consistency { try proof.verify(from: old, to: head) }
        report.record(
            Sample(events: consistency.count, seconds: (ContinuousClock.now - start).seconds),
            id: "consistency-check", label: "consistency proofs checked")

        let signer = try CheckpointSigner.generate(name: "bench.tally.local/\(run)")
        let checkpoint = try Checkpoint(origin: signer.name, treeHead: head)
        var notes: [String] = []
        start = ContinuousClock.now
        while ContinuousClock.now - start < budget {
            for _ in 0..<100 { notes.append(try signer.sign(checkpoint).text) }
        }
        report.record(
            Sample(events: notes.count, seconds: (ContinuousClock.now - start).seconds), id: "checkpoint-sign",
            label: "checkpoints signed (Ed25519, C2SP note)")
        start = ContinuousClock.now
        for note in notes { _ = try SignedCheckpoint(verifying: note, with: signer.verifier) }
        report.record(
            Sample(events: notes.count, seconds: (ContinuousClock.now - start).seconds), id: "checkpoint-verify",
            label: "signed checkpoints verified")
    }
}
