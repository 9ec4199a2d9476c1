import HTTPTypes
import Hummingbird
import TallyCore
import TallyStore
import TallyVerify

extension TallyAPI {
    /// Signed checkpoints, the verifier key, and inclusion and consistency proofs: what auditors read.
    ///
    /// Hashes are lower-case hex, like every root the API writes; the signed note is the C2SP text
    /// (its root in base64, as that format says).
    func addAuditRoutes(to router: Router<TallyRequestContext>) {
        add(.get, "/v1/checkpoints/latest", to: router, permission: .readProofs) { _, _ in
            guard let checkpoint = try log.latestCheckpoint() else {
                throw EventLogError.checkpointNotFound(size: nil)
            }
            return try self.json(checkpointJSON(checkpoint))
        }
        add(.get, "/v1/checkpoints/{size}", to: router, permission: .readProofs) { _, context in
            let text = try parameter("size", of: context)
            guard let size = UInt64(text) else {
                throw invalidParameter("size", "must be a whole number (a tree size)")
            }
            guard let checkpoint = try log.checkpoint(size: size) else {
                throw EventLogError.checkpointNotFound(size: size)
            }
            return try self.json(checkpointJSON(checkpoint))
        }
        add(.post, "/v1/checkpoints", to: router, permission: .signCheckpoints, waitsForWriter: true) { _, _ in
            let (checkpoint, isNew) = try await publisher().publish()
            return try self.json(checkpointJSON(checkpoint), status: isNew ? .created : .ok)
        }
        add(.get, "/v1/checkpoint-key", to: router, permission: .readProofs) { _, _ in
            let publisher = try publisher()
            var json = JSONWriter()
            json.object { json in
                json.member("origin", string: publisher.origin)
                json.member("verifierKey", string: publisher.verifierKey)
            }
            return self.json(json.bytes)
        }
        add(.get, "/v1/proofs/inclusion", to: router, permission: .readProofs) { request, _ in
            let position = try required("position", of: request)
            let treeSize = try required("treeSize", of: request)
            let proof = try log.inclusionProof(position: position, treeSize: treeSize)
            var json = JSONWriter()
            json.object { json in
                json.member("position", integer: position)
                json.member("leafIndex", integer: proof.leafIndex)
                json.member("treeSize", integer: proof.treeSize)
                json.key("path")
                json.array { json in for hash in proof.path { json.string(hash.hex) } }
            }
            return self.json(json.bytes)
        }
        add(.get, "/v1/proofs/consistency", to: router, permission: .readProofs) { request, _ in
            let from = try required("from", of: request)
            let to = try required("to", of: request)
            let proof = try log.consistencyProof(from: from, to: to)
            var json = JSONWriter()
            json.object { json in
                json.member("from", integer: proof.oldSize)
                json.member("to", integer: proof.newSize)
                json.key("path")
                json.array { json in for hash in proof.path { json.string(hash.hex) } }
            }
            return self.json(json.bytes)
        }
    }

    private func publisher() throws -> CheckpointPublisher {
        guard let checkpoints else {
            throw Problem(
                "checkpoints-not-configured", "This server signs no checkpoints", .notFound,
                detail: "Start tally serve with a signing key to sign checkpoints.")
        }
        return checkpoints
    }

    /// Query parameter `name`: a whole number, required.
    private func required(_ name: String, of request: Request) throws -> UInt64 {
        guard let value = try position(name, of: request) else { throw invalidParameter(name, "is required") }
        return value
    }

    /// `{"size", "origin", "root" (hex), "note"}`: the stored note and what it states.
    private func checkpointJSON(_ stored: StoredCheckpoint) throws -> [UInt8] {
        let checkpoint = try Checkpoint(unverifiedNote: stored.note)
        var json = JSONWriter()
        json.object { json in
            json.member("size", integer: stored.size)
            json.member("origin", string: checkpoint.origin)
            json.member("root", string: checkpoint.treeHead.root.hex)
            json.member("note", string: stored.note)
        }
        return json.bytes
    }
}
