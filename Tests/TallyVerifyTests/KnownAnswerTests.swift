import TallyVerify
import Testing

/// Known answers from an independent implementation: `tools/merkle-vectors.py` (RFC 9162's MTH,
/// PATH and PROOF written from the RFC's recursive definitions with Python's `hashlib`, no code
/// shared with Tally) over the leaves `SHA-256(0x00 ‖ "tally leaf <i>")`. Its output is pasted below.
enum Vectors {
    static let leafHashes: [(index: Int, hash: String)] = [
        (0, "da9633a6fb3211093c19d5cf4d3db7a56fc823a17d3805be7950c44f2f03eb65"),
        (1, "1c3675e56e278cae7e7aea4b9351e198090d9fe03be05663a3ee66b63a622191"),
        (2, "563799082dd3ff5f05f7c3bfe63df769f5fc54511551914d8d6d7e11c7c42b4d"),
        (3, "00869a16ecede3c3c21032c9381deaeca98e3959fc8044c9ffcc324e45410e4b"),
        (4, "877f2bfeb28ab33cd017bb0ea77315adf862f2cffb9b218ab4097b90d82f398b"),
        (5, "9f557879a767243745bdbc16c0b82dacd6f31d1b699f8bc879934adb6b27e892"),
        (6, "3d0ff80dae20210e0e2544569079324b07dc311091bd53d15ca745bc81f6b565"),
        (7, "c0e9da570a369b2c54f5e6268eeea3963df828cade570766edd59ce2253d28b3"),
    ]
    static let roots: [UInt64: String] = [
        0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        1: "da9633a6fb3211093c19d5cf4d3db7a56fc823a17d3805be7950c44f2f03eb65",
        2: "2c1b5b49578abf99c59d0c294b1971e1d79faf144b20340b9016638baa2c4ffe",
        3: "7bd6a30fc6861101b317d3ee5feecf1098444b5d39d84a011c450230c824268a",
        4: "81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c",
        5: "d8fba74f2df75a79a852ed42228d76e0760493a45ce1cd4afc3fce60571e62bb",
        6: "107dfc7b3efddc2422bc6bf0848716bbcf848f13a807467f03f81c6fa8368849",
        7: "0f0716fb2053e3c9a4d9a911931f1fa085d1408ac1055a135c172c0df9674423",
        8: "7f7da909583bc1d67f075bf960381769cae134288816e305c274b7f6100c296d",
        9: "8713cce999c14adef6767e9e23c1b6a319010b51a3c336dbb3191df824d0752a",
        10: "54678a7324d309316f67930497a2c9166cb7078301de0a67fce9a02c8b25f99d",
        11: "d72992f0fc72655590de3e1f682e67f05242c3b036831305874f651f99b518eb",
        12: "a7c6067d32a0b3a7de87b7ff26d406761b9e002038a8e5e4fd0a2749ed8422d1",
        13: "34a18abb6d39bfdd6886b60c30bcdfd9fb79b7496eeeb5461d665104d6a00966",
    ]
    static let inclusionProofs: [(leafIndex: UInt64, treeSize: UInt64, path: [String])] = [
        (0, 1, []),
        (0, 2, ["1c3675e56e278cae7e7aea4b9351e198090d9fe03be05663a3ee66b63a622191"]),
        (1, 2, ["da9633a6fb3211093c19d5cf4d3db7a56fc823a17d3805be7950c44f2f03eb65"]),
        (2, 3, ["2c1b5b49578abf99c59d0c294b1971e1d79faf144b20340b9016638baa2c4ffe"]),
        (
            0, 5,
            [
                "1c3675e56e278cae7e7aea4b9351e198090d9fe03be05663a3ee66b63a622191",
                "b060b358b0c6de30560a8de9d092c2ba798d7a57ae978dceca2b7594bbecd30d",
                "877f2bfeb28ab33cd017bb0ea77315adf862f2cffb9b218ab4097b90d82f398b",
            ]
        ),
        (4, 5, ["81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c"]),
        (
            3, 7,
            [
                "563799082dd3ff5f05f7c3bfe63df769f5fc54511551914d8d6d7e11c7c42b4d",
                "2c1b5b49578abf99c59d0c294b1971e1d79faf144b20340b9016638baa2c4ffe",
                "666734ad3913f859218f948e629355db62672c9cbb97ce0dfed024b9a757121f",
            ]
        ),
        (
            6, 7,
            [
                "a8fdcb8044a70e83351fbbccf47035b38c683bf1dcc8c06e8ab6ca86f2a25e6a",
                "81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c",
            ]
        ),
        (
            5, 8,
            [
                "877f2bfeb28ab33cd017bb0ea77315adf862f2cffb9b218ab4097b90d82f398b",
                "ae0677640e67a0cbd6669c3f30a5890616fd9b1e25c4d86a6a240dfcf996c8bc",
                "81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c",
            ]
        ),
        (
            9, 13,
            [
                "83fc2c51eff0665457c53a2228791ae0b3872af2750fe835c0caa3488df58070",
                "2483cf46e8271fbd930612b4b20a3fccfe4f0f7fd6a79e4e60d129cbcafe7e3d",
                "364be6efef4369c9346808eb2e327ed5faadc2a9e263995a990b869cf9f8f8ba",
                "7f7da909583bc1d67f075bf960381769cae134288816e305c274b7f6100c296d",
            ]
        ),
        (
            12, 13,
            [
                "fc538d5c16831af56c7a77df094be146648ee0a0ab7d297b606017960d5c0039",
                "7f7da909583bc1d67f075bf960381769cae134288816e305c274b7f6100c296d",
            ]
        ),
    ]
    static let consistencyProofs: [(oldSize: UInt64, newSize: UInt64, path: [String])] = [
        (1, 1, []),
        (1, 2, ["1c3675e56e278cae7e7aea4b9351e198090d9fe03be05663a3ee66b63a622191"]),
        (
            1, 8,
            [
                "1c3675e56e278cae7e7aea4b9351e198090d9fe03be05663a3ee66b63a622191",
                "b060b358b0c6de30560a8de9d092c2ba798d7a57ae978dceca2b7594bbecd30d",
                "27bfc161473a0750f8af5b6677962b05e9970a66ade2cf498f1f075542605276",
            ]
        ),
        (
            2, 5,
            [
                "b060b358b0c6de30560a8de9d092c2ba798d7a57ae978dceca2b7594bbecd30d",
                "877f2bfeb28ab33cd017bb0ea77315adf862f2cffb9b218ab4097b90d82f398b",
            ]
        ),
        (
            3, 7,
            [
                "563799082dd3ff5f05f7c3bfe63df769f5fc54511551914d8d6d7e11c7c42b4d",
                "00869a16ecede3c3c21032c9381deaeca98e3959fc8044c9ffcc324e45410e4b",
                "2c1b5b49578abf99c59d0c294b1971e1d79faf144b20340b9016638baa2c4ffe",
                "666734ad3913f859218f948e629355db62672c9cbb97ce0dfed024b9a757121f",
            ]
        ),
        (4, 7, ["666734ad3913f859218f948e629355db62672c9cbb97ce0dfed024b9a757121f"]),
        (4, 8, ["27bfc161473a0750f8af5b6677962b05e9970a66ade2cf498f1f075542605276"]),
        (
            5, 8,
            [
                "877f2bfeb28ab33cd017bb0ea77315adf862f2cffb9b218ab4097b90d82f398b",
                "9f557879a767243745bdbc16c0b82dacd6f31d1b699f8bc879934adb6b27e892",
                "ae0677640e67a0cbd6669c3f30a5890616fd9b1e25c4d86a6a240dfcf996c8bc",
                "81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c",
            ]
        ),
        (
            6, 13,
            [
                "a8fdcb8044a70e83351fbbccf47035b38c683bf1dcc8c06e8ab6ca86f2a25e6a",
                "ae0677640e67a0cbd6669c3f30a5890616fd9b1e25c4d86a6a240dfcf996c8bc",
                "81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c",
                "430aa73875916012e616e7ba2b377557d8e4ab164e3f01e2246f95420c476376",
            ]
        ),
        (
            7, 13,
            [
                "3d0ff80dae20210e0e2544569079324b07dc311091bd53d15ca745bc81f6b565",
                "c0e9da570a369b2c54f5e6268eeea3963df828cade570766edd59ce2253d28b3",
                "a8fdcb8044a70e83351fbbccf47035b38c683bf1dcc8c06e8ab6ca86f2a25e6a",
                "81b048778f2cba7593e8d5556b11b5dcfcec9de309a337cb71ff702be53d304c",
                "430aa73875916012e616e7ba2b377557d8e4ab164e3f01e2246f95420c476376",
            ]
        ),
        (8, 13, ["430aa73875916012e616e7ba2b377557d8e4ab164e3f01e2246f95420c476376"]),
        (
            12, 13,
            [
                "fc538d5c16831af56c7a77df094be146648ee0a0ab7d297b606017960d5c0039",
                "364be6efef4369c9346808eb2e327ed5faadc2a9e263995a990b869cf9f8f8ba",
                "7f7da909583bc1d67f075bf960381769cae134288816e305c274b7f6100c296d",
            ]
        ),
    ]
}

/// The content of leaf `index` in the vectors.
private func leaf(_ index: Int) -> [UInt8] { MerkleHash.leaf(Array("tally leaf \(index)".utf8)) }

private func root(_ size: UInt64) throws -> [UInt8] { [UInt8](hex: try #require(Vectors.roots[size])) }

@Suite("Known answers")
struct KnownAnswerTests {
    @Test func leafAndNodeHashesAreRFC6962s() {
        for (index, hash) in Vectors.leafHashes { #expect(leaf(index).hex == hash, "leaf \(index)") }
        #expect(MerkleHash.empty.hex == Vectors.roots[0])
        #expect(MerkleHash.node(leaf(0), leaf(1)).hex == Vectors.roots[2])
    }

    @Test func theReferenceImplementationGivesTheScriptsRoots() {
        let leaves = (0..<13).map(leaf)
        let tree = Reference(leaves)
        for (size, root) in Vectors.roots { #expect(tree.root(Int(size)).hex == root, "size \(size)") }
    }

    @Test func theScriptsInclusionProofsVerifyAndMatchTheReference() throws {
        let leaves = (0..<13).map(leaf)
        let tree = Reference(leaves)
        for vector in Vectors.inclusionProofs {
            let path = vector.path.map { [UInt8](hex: $0) }
            let proof = InclusionProof(leafIndex: vector.leafIndex, treeSize: vector.treeSize, path: path)
            #expect(throws: Never.self) {
                try proof.verify(leafHash: leaf(Int(vector.leafIndex)), root: root(vector.treeSize))
            }
            #expect(tree.path(Int(vector.leafIndex), size: Int(vector.treeSize)) == path)
            #expect(InclusionProof.pathLength(leafIndex: vector.leafIndex, treeSize: vector.treeSize) == path.count)
        }
    }

    @Test func theScriptsConsistencyProofsVerifyAndMatchTheReference() throws {
        let leaves = (0..<13).map(leaf)
        let tree = Reference(leaves)
        for vector in Vectors.consistencyProofs {
            let path = vector.path.map { [UInt8](hex: $0) }
            let proof = ConsistencyProof(oldSize: vector.oldSize, newSize: vector.newSize, path: path)
            #expect(throws: Never.self) {
                try proof.verify(oldRoot: root(vector.oldSize), newRoot: root(vector.newSize))
            }
            #expect(tree.proof(Int(vector.oldSize), size: Int(vector.newSize)) == path)
            #expect(ConsistencyProof.pathLength(oldSize: vector.oldSize, newSize: vector.newSize) == path.count)
        }
    }
}
