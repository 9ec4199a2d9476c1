import Foundation
import HTTPTypes
import HummingbirdTesting
import TallyHTTP
import TallyStore
import TallyVerify
import Testing

@Suite("Checkpoints and proofs over HTTP")
struct AuditTests {
    /// Appends `count` events, one append each, as the admin.
    private func append(_ count: Int, to client: any TestClientProtocol, harness: Harness) async throws {
        for index in 0..<count {
            let response = try await client.send(
                .post, "/v1/streams/audit-\(index % 3)/events", as: harness.tokens[.admin],
                json: #"{"events":[{"type":"noted","data":{"n":\#(index)}}]}"#)
            #expect(response.status == .created)
        }
    }

    /// The signed note of a checkpoint answer, opened with the harness's verifier key.
    private func opened(_ response: TestResponse, harness: Harness) throws -> SignedCheckpoint {
        let note = try #require(try response.object["note"] as? String)
        return try SignedCheckpoint(verifying: note, with: harness.signer.verifier)
    }

    @Test func signingOnDemandStoresTheHeadAndWritesTheLatestFile() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                #expect(
                    try await client.send(.get, "/v1/checkpoints/latest", as: admin).problemSlug
                        == "checkpoint-not-found")
                try await append(4, to: client, harness: harness)
                let signed = try await client.send(.post, "/v1/checkpoints", as: admin)
                #expect(signed.status == .created)
                let checkpoint = try opened(signed, harness: harness)
                #expect(checkpoint.treeHead == (try harness.log.treeHead()))
                #expect(checkpoint.checkpoint.origin == "tally.local/test")
                #expect(try signed.object["size"] as? Int == 4)
                #expect(try signed.object["root"] as? String == checkpoint.treeHead.root.hex)
                // The head did not move: the same checkpoint, 200.
                let again = try await client.send(.post, "/v1/checkpoints", as: admin)
                #expect(again.status == .ok)
                #expect(try opened(again, harness: harness) == checkpoint)
                let latest = try await client.send(.get, "/v1/checkpoints/latest", as: harness.tokens[.auditor])
                #expect(try opened(latest, harness: harness) == checkpoint)
                let file = try String(contentsOfFile: "\(harness.directory)/checkpoint.latest", encoding: .utf8)
                #expect(file == checkpoint.text)
                let key = try await client.send(.get, "/v1/checkpoint-key", as: harness.tokens[.auditor])
                #expect(try key.object["verifierKey"] as? String == harness.signer.verifier.keyString)
                #expect(try key.object["origin"] as? String == "tally.local/test")
            }
        }
    }

    @Test func historyAtSizesAndProofsOverHTTPVerifyWithTallyVerify() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                let admin = harness.tokens[.admin]
                let auditor = harness.tokens[.auditor]
                var heads: [TreeHead] = []
                for count in [3, 2, 6] {
                    try await append(count, to: client, harness: harness)
                    heads.append(
                        try opened(try await client.send(.post, "/v1/checkpoints", as: admin), harness: harness)
                            .treeHead)
                }
                #expect(heads.map(\.size) == [3, 5, 11])
                for head in heads {
                    let stored = try await client.send(.get, "/v1/checkpoints/\(head.size)", as: auditor)
                    #expect(try opened(stored, harness: harness).treeHead == head)
                }
                let latest = heads[2]
                // Every event's inclusion in the latest signed tree, from its leafHash and the proof.
                let page = try await client.send(.get, "/v1/events?limit=100", as: auditor)
                let events = try #require(try page.object["events"] as? [[String: Any]])
                #expect(events.count == 11)
                for event in events {
                    let position = try #require(event["position"] as? Int)
                    let leafHashText = try #require(event["leafHash"] as? String)
                    let leafHash = try #require([UInt8](hex: leafHashText))
                    #expect(leafHash == (try harness.log.event(at: UInt64(position)))?.leafHash)
                    let answer = try await client.send(
                        .get, "/v1/proofs/inclusion?position=\(position)&treeSize=\(latest.size)", as: auditor)
                    #expect(answer.status == .ok)
                    let proof = InclusionProof(
                        leafIndex: UInt64(try #require(try answer.object["leafIndex"] as? Int)),
                        treeSize: UInt64(try #require(try answer.object["treeSize"] as? Int)),
                        path: try #require(try answer.object["path"] as? [String]).compactMap { [UInt8](hex: $0) })
                    try proof.verify(leafHash: leafHash, against: latest)
                    #expect(throws: ProofError.self) { try proof.verify(leafHash: leafHash, against: heads[1]) }
                }
                // Each older signed head is a prefix of the newer ones.
                for (old, new) in [(heads[0], heads[1]), (heads[1], heads[2]), (heads[0], heads[2])] {
                    let answer = try await client.send(
                        .get, "/v1/proofs/consistency?from=\(old.size)&to=\(new.size)", as: auditor)
                    let proof = ConsistencyProof(
                        oldSize: old.size, newSize: new.size,
                        path: try #require(try answer.object["path"] as? [String]).compactMap { [UInt8](hex: $0) })
                    try proof.verify(from: old, to: new)
                }
            }
        }
    }

    @Test func anAuditorReadsProofsButCannotAppendOrSign() async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                try await append(2, to: client, harness: harness)
                let auditor = harness.tokens[.auditor]
                #expect(
                    try await client.send(.get, "/v1/proofs/inclusion?position=1&treeSize=2", as: auditor).status == .ok
                )
                let appended = try await client.send(
                    .post, "/v1/streams/audit-9/events", as: auditor, json: #"{"events":[{"type":"t","data":{}}]}"#)
                #expect(appended.status == .forbidden)
                #expect(try appended.problemSlug == "forbidden")
                let signed = try await client.send(.post, "/v1/checkpoints", as: auditor)
                #expect(signed.status == .forbidden)
                #expect(try signed.object["permission"] as? String == "signCheckpoints")
                let reader = try await client.send(.get, "/v1/checkpoints/latest", as: harness.tokens[.reader])
                #expect(reader.status == .forbidden)
                #expect(try reader.object["permission"] as? String == "readProofs")
            }
        }
    }

    @Test(arguments: [
        ("/v1/checkpoints/7", 404, "checkpoint-not-found"),
        ("/v1/checkpoints/seven", 400, "invalid-parameter"),
        ("/v1/proofs/inclusion?position=1", 400, "invalid-parameter"),
        ("/v1/proofs/inclusion?position=x&treeSize=2", 400, "invalid-parameter"),
        ("/v1/proofs/inclusion?position=1&treeSize=9", 404, "tree-too-small"),
        ("/v1/proofs/inclusion?position=0&treeSize=2", 404, "position-not-in-tree"),
        ("/v1/proofs/inclusion?position=3&treeSize=2", 404, "position-not-in-tree"),
        ("/v1/proofs/consistency?from=1", 400, "invalid-parameter"),
        ("/v1/proofs/consistency?from=2&to=1", 422, "tree-sizes-out-of-order"),
        ("/v1/proofs/consistency?from=1&to=9", 404, "tree-too-small"),
    ])
    func badOrUnknownSizesGetTheDocumentedProblems(uri: String, status: Int, slug: String) async throws {
        try await Harness.with { harness in
            try await harness.client { client in
                try await append(2, to: client, harness: harness)
                let response = try await client.send(.get, uri, as: harness.tokens[.auditor])
                #expect(response.status.code == status, "\(uri): \(response.text)")
                #expect(try response.problemSlug == slug)
            }
        }
    }
}
