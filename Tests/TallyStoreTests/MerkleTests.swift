import Foundation
import TallyLMDB
@testable import TallyStore
import TallyVerify
import Testing

/// RFC 6962's recursive definition of the Merkle tree hash, written independently of the frontier.
func referenceRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
    switch leaves.count {
    case 0: return MerkleHash.empty
    case 1: return leaves.first!
    default:
        var split = 1
        while split * 2 < leaves.count { split *= 2 }
        let middle = leaves.startIndex + split
        return MerkleHash.node(referenceRoot(leaves[..<middle]), referenceRoot(leaves[middle...]))
    }
}

@Suite("Merkle tree")
struct MerkleTests {
    @Test func theFrontierRootEqualsTheRecursiveDefinitionForEverySizeUpTo130() {
        var frontier = MerkleFrontier()
        var leaves: [[UInt8]] = []
        for index in 0..<130 {
            let leaf = MerkleHash.leaf(Array("leaf \(index)".utf8))
            leaves.append(leaf)
            _ = frontier.append(leaf: leaf)
            #expect(frontier.root == referenceRoot(leaves[...]), "size \(leaves.count)")
        }
    }

    @Test func eachLeafStoresItselfAndEveryNodeItCompletesWhereNodeLocationFindsThem() {
        var frontier = MerkleFrontier()
        var leaves: [[UInt8]] = []
        var stored: [UInt64: [UInt8]] = [:]  // position → what the log stores in `merkle`
        for index in 0..<37 {
            let leaf = MerkleHash.leaf([UInt8(index)])
            leaves.append(leaf)
            stored[UInt64(index + 1)] = frontier.append(leaf: leaf)
        }
        // Leaf i completes one node per trailing one bit of i: 32 bytes for the leaf, 32 per node.
        #expect((1...8).map { stored[UInt64($0)]!.count / 32 } == [1, 2, 1, 3, 1, 2, 1, 4])
        for level in 0...5 {
            for index in 0..<(leaves.count >> level) {
                let location = NodeLocation(level: level, index: UInt64(index))
                let bytes = stored[location.position]!
                let node = Array(bytes[location.offset..<location.offset + 32])
                #expect(
                    node == referenceRoot(leaves[(index << level)..<((index + 1) << level)]),
                    "level \(level), index \(index)")
            }
        }
    }

    @Test func receiptsAndTreeHeadsCarryTheRootOfEveryLeafSoFarAndHistoricRootsStayReadable() async throws {
        try await withLog { log in
            var receipts: [AppendReceipt] = []
            for index in 0..<21 { receipts.append(try await log.append(try event("account-\(index % 4)"))) }
            let events = try log.allEvents()
            let leaves = events.map { MerkleHash.leaf(EventRecord.leafContent(of: $0)) }
            for receipt in receipts {
                let size = Int(receipt.checkpoint.size)
                #expect(receipt.checkpoint.root == referenceRoot(leaves[..<size]))
            }
            #expect(try log.treeHead() == TreeHead(size: 21, root: referenceRoot(leaves[...])))
            let historic = try log.environment.read { txn in try log.reader.treeHead(size: 13, in: txn) }
            #expect(historic.root == referenceRoot(leaves[..<13]))
        }
    }

    @Test func theTreeIsRebuiltFromStoredNodesWhenTheLogReopens() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var log = try EventLog(path: path)
        for index in 0..<11 { try await log.append(try event("s-\(index)")) }
        log.close()
        log = try EventLog(path: path)
        defer { log.close() }
        let receipt = try await log.append(try event("s-11"))
        let leaves = try log.allEvents().map { MerkleHash.leaf(EventRecord.leafContent(of: $0)) }
        #expect(receipt.checkpoint == TreeHead(size: 12, root: referenceRoot(leaves[...])))
    }
}
