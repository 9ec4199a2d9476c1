import Foundation
@testable import TallyStore
import TallyVerify
import Testing

/// RFC 9162's `PATH(m, D[n])` (§2.1.3.1), recursive, independent of the store's proof generation.
func referencePath(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
    guard leaves.count > 1 else { return [] }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    let middle = leaves.startIndex + k
    if m < k { return referencePath(m, leaves[..<middle]) + [referenceRoot(leaves[middle...])] }
    return referencePath(m - k, leaves[middle...]) + [referenceRoot(leaves[..<middle])]
}

/// RFC 9162's `PROOF(m, D[n])` (§2.1.4.1), recursive: empty for `m` 0 or `n`.
func referenceConsistency(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
    func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ complete: Bool) -> [[UInt8]] {
        if m == leaves.count { return complete ? [] : [referenceRoot(leaves)] }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        let middle = leaves.startIndex + k
        if m <= k { return subproof(m, leaves[..<middle], complete) + [referenceRoot(leaves[middle...])] }
        return subproof(m - k, leaves[middle...], false) + [referenceRoot(leaves[..<middle])]
    }
    return 0 < m && m < leaves.count ? subproof(m, leaves, true) : []
}

/// Appends `count` events in appends of 1, 2, 3, … events (so some appends complete many nodes at once).
func appendEvents(_ count: Int, to log: EventLog) async throws {
    var appended = 0
    var batch = 1
    while appended < count {
        let events = try (appended..<min(count, appended + batch)).map { try event("account-\($0 % 5)") }
        try await log.append(AppendRequest(events: events))
        appended += events.count
        batch += 1
    }
}

@Suite("Merkle proofs from the log")
struct ProofTests {
    /// What keeps a proof at O(log n) reads: as many ranges as the path has hashes, each starting
    /// on a multiple of its largest perfect subtree (so each of those is one stored node), and at
    /// most one that is not itself a perfect subtree (folded from at most 64 stored nodes).
    @Test func proofPlansAreStoredNodesButForOneRightEdgeNode() {
        func check(_ ranges: [LeafRange], expectedCount: Int, _ comment: Comment) {
            #expect(ranges.count == expectedCount, comment)
            for range in ranges {
                let largest = UInt64(1) << UInt64(UInt64.bitWidth - 1 - range.count.leadingZeroBitCount)
                #expect(range.count > 0 && range.start % largest == 0, comment)
            }
            #expect(ranges.filter { $0.count.nonzeroBitCount > 1 }.count <= 1, comment)
        }
        for size in UInt64(1)...300 {
            for index in 0..<size {
                check(
                    ProofPlan.inclusion(leafIndex: index, treeSize: size),
                    expectedCount: InclusionProof.pathLength(leafIndex: index, treeSize: size),
                    "leaf \(index) of \(size)")
            }
            for old in 0...size {
                check(
                    ProofPlan.consistency(oldSize: old, newSize: size),
                    expectedCount: ConsistencyProof.pathLength(oldSize: old, newSize: size),
                    "from \(old) to \(size)")
            }
        }
    }

    @Test func everyInclusionProofAtEverySizeUpTo70VerifiesAgainstTheLogsTreeHead() async throws {
        try await withLog { log in
            try await appendEvents(70, to: log)
            let events = try log.allEvents()
            let leaves = events.map(\.leafHash)
            for size in 1...70 {
                let head = try log.treeHead(size: UInt64(size))
                #expect(head.root == referenceRoot(leaves[..<size]))
                for event in events.prefix(size) {
                    let proof = try log.inclusionProof(position: event.position, treeSize: UInt64(size))
                    #expect(throws: Never.self) { try proof.verify(leafHash: event.leafHash, against: head) }
                    #expect(proof.path == referencePath(Int(event.position) - 1, leaves[..<size]))
                }
            }
        }
    }

    @Test func everyConsistencyProofBetweenSizesUpTo70VerifiesAgainstTheLogsTreeHeads() async throws {
        try await withLog { log in
            try await appendEvents(70, to: log)
            let leaves = try log.allEvents().map(\.leafHash)
            let heads = try (0...70).map { try log.treeHead(size: UInt64($0)) }
            for newSize in 0...70 {
                for oldSize in 0...newSize {
                    let proof = try log.consistencyProof(from: UInt64(oldSize), to: UInt64(newSize))
                    #expect(throws: Never.self) { try proof.verify(from: heads[oldSize], to: heads[newSize]) }
                    #expect(proof.path == referenceConsistency(oldSize, leaves[..<newSize]))
                }
            }
        }
    }

    @Test func aLargerLogProvesEventsAndItsGrowthAroundPowersOfTwo() async throws {
        try await withLog { log in
            try await log.append(AppendRequest(events: (0..<1000).map { try event("big-\($0 % 7)") }))
            let sizes: [UInt64] = [1, 2, 255, 256, 257, 511, 512, 513, 999, 1000]
            let heads = try sizes.map { try log.treeHead(size: $0) }
            for head in heads {
                let positions = Set([1, 2, head.size / 3, head.size / 2 + 1, head.size - 1, head.size])
                for position in positions where (1...head.size).contains(position) {
                    let event = try #require(try log.event(at: position))
                    let proof = try log.inclusionProof(position: position, treeSize: head.size)
                    #expect(throws: Never.self) { try proof.verify(leafHash: event.leafHash, against: head) }
                }
                for new in heads where new.size >= head.size {
                    let proof = try log.consistencyProof(from: head.size, to: new.size)
                    #expect(throws: Never.self) { try proof.verify(from: head, to: new) }
                }
            }
        }
    }

    @Test func aProofForOneEventDoesNotVerifyAnother() async throws {
        try await withLog { log in
            try await appendEvents(9, to: log)
            let head = try log.treeHead()
            let proof = try log.inclusionProof(position: 4, treeSize: head.size)
            let other = try #require(try log.event(at: 5))
            #expect(throws: ProofError.rootMismatch) { try proof.verify(leafHash: other.leafHash, against: head) }
        }
    }

    @Test func aReadOnlyLogGivesTheSameProofs() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try EventLog(path: path)
        try await appendEvents(23, to: log)
        let inclusion = try log.inclusionProof(position: 17, treeSize: 21)
        let consistency = try log.consistencyProof(from: 6, to: 23)
        log.close()
        let reader = try ReadOnlyLog(path: path)
        defer { reader.close() }
        #expect(try reader.inclusionProof(position: 17, treeSize: 21) == inclusion)
        #expect(try reader.consistencyProof(from: 6, to: 23) == consistency)
        let event = try #require(try reader.event(at: 17))
        #expect(throws: Never.self) {
            try inclusion.verify(leafHash: event.leafHash, against: reader.treeHead(size: 21))
        }
        #expect(throws: Never.self) {
            try consistency.verify(from: reader.treeHead(size: 6), to: reader.treeHead(size: 23))
        }
    }

    @Test func proofsOfPositionsOrSizesTheLogDoesNotHaveAreRefused() async throws {
        try await withLog { log in
            #expect(throws: EventLogError.positionNotInTree(position: 1, treeSize: 0)) {
                try log.inclusionProof(position: 1, treeSize: 0)
            }
            try await appendEvents(10, to: log)
            #expect(throws: EventLogError.positionNotInTree(position: 0, treeSize: 10)) {
                try log.inclusionProof(position: 0, treeSize: 10)
            }
            #expect(throws: EventLogError.positionNotInTree(position: 8, treeSize: 7)) {
                try log.inclusionProof(position: 8, treeSize: 7)
            }
            #expect(throws: EventLogError.treeTooSmall(size: 10, requested: 11)) {
                try log.inclusionProof(position: 3, treeSize: 11)
            }
            #expect(throws: EventLogError.treeTooSmall(size: 10, requested: 12)) {
                try log.consistencyProof(from: 3, to: 12)
            }
            #expect(throws: EventLogError.treeSizesOutOfOrder(oldSize: 8, newSize: 7)) {
                try log.consistencyProof(from: 8, to: 7)
            }
            #expect(try log.consistencyProof(from: 0, to: 10).path.isEmpty)
            #expect(try log.consistencyProof(from: 10, to: 10).path.isEmpty)
        }
    }
}
