import ArgumentParser
import Foundation
import TallyClient
import TallyCore
import TallyStore
import TallyVerify

extension Tally {
    /// What an auditor asks a running server for, checked locally.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch signed checkpoints and proofs from a server and check them locally.",
            discussion: """
                An auditor key (role auditor) is enough. Pin the server's verifier key
                once, out of band (<data-dir>/checkpoint-verifier.key, or GET
                /v1/checkpoint-key the first time), and pass it with --key: every
                checkpoint is then checked against it.
                """,
            subcommands: [CheckpointCommand.self, Prove.self, Consistency.self])

        /// Prints a signed checkpoint.
        struct CheckpointCommand: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "checkpoint",
                abstract: "Print the latest signed checkpoint (or the one at --size), as the signed note.",
                discussion: """
                    The note is printed exactly as signed, so it can be saved and checked later
                    with tally verify --checkpoint. With --key its signature is checked first.

                    Examples:
                      tally audit checkpoint > checkpoint.txt
                      tally audit checkpoint --size 41000 --key checkpoint-verifier.key
                    """)
            @OptionGroup var server: OnlineOptions
            @Option(help: "The tree size of a checkpoint in the server's history (default: the latest).")
            var size: UInt64?
            @Option(help: ArgumentHelp("A pinned verifier key file to check the signature with.", valueName: "file"))
            var key: String?

            func run() async throws {
                try await Tally.reportingFailure {
                    try await server.withClient { client in
                        let note = try await AuditClient(client: client).checkpointNote(size: size)
                        if let key { _ = try SignedCheckpoint(verifying: note, with: try readVerifierKey(key)) }
                        FileHandle.standardOutput.write(Data(note.utf8))
                    }
                }
            }
        }

        /// Proves one event is in a signed tree.
        struct Prove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check that the event at a position is in the server's signed tree, with an inclusion proof.",
                discussion: """
                    Fetches the signed checkpoint (the latest, or the one at --size), the event and
                    its inclusion proof; checks the checkpoint's signature with the verifier key
                    (--key, or the server's own key when none is pinned), recomputes the event's
                    leaf hash from its bytes and the root from the proof, and compares it with the
                    signed root. Prints the proof and the verdict; exits 65 if anything fails.

                    Examples:
                      tally audit prove 42 --key checkpoint-verifier.key
                      tally audit prove 42 --size 41000 --output json
                    """)
            @OptionGroup var server: OnlineOptions
            @Argument(help: "The event's log position.") var position: UInt64
            @Option(help: "The tree size of the signed checkpoint to prove against (default: the latest).")
            var size: UInt64?
            @Option(
                help: ArgumentHelp(
                    "A pinned verifier key file (default: the server's key, unpinned).", valueName: "file"))
            var key: String?
            @Option(help: "Output format: text or json.") var output: SummaryFormat = .text

            func run() async throws {
                try await Tally.reportingFailure {
                    try await server.withClient { client in
                        let audit = AuditClient(client: client)
                        let verifier: CheckpointVerifier
                        if let key {
                            verifier = try readVerifierKey(key)
                        } else {
                            verifier = try CheckpointVerifier(parsing: try await audit.verifierKey())
                            FileHandle.standardError.write(
                                Data(
                                    "tally: no --key given: trusting the server's own verifier key \(verifier.keyString)\n"
                                        .utf8))
                        }
                        let signed = try SignedCheckpoint(
                            verifying: try await audit.checkpointNote(size: size), with: verifier)
                        let head = signed.treeHead
                        guard position >= 1, position <= head.size else {
                            throw EventLogError.positionNotInTree(position: position, treeSize: head.size)
                        }
                        let event = try await audit.event(at: position)
                        let proof = try await audit.inclusionProof(position: position, treeSize: head.size)
                        try proof.verify(leafHash: event.leafHash, against: head)
                        print(render(event: event, proof: proof, signed: signed, verifier: verifier))
                    }
                }
            }

            private func render(
                event: ExportedEvent, proof: InclusionProof, signed: SignedCheckpoint, verifier: CheckpointVerifier
            ) -> String {
                let head = signed.treeHead
                switch output {
                case .text:
                    var lines = [
                        "event \(event.position): stream \(event.event.stream.rawValue) revision \(event.revision), leaf hash \(event.leafHash.hex)",
                        "checkpoint: \(signed.checkpoint.origin) size \(head.size) root \(head.root.hex), signed by \(verifier.name)+\(verifier.keyID.hex)",
                        "inclusion proof: leaf index \(proof.leafIndex) in a tree of \(proof.treeSize), \(proof.path.count) hashes:",
                    ]
                    lines += proof.path.map { "  \($0.hex)" }
                    lines.append("verified: the event is in the signed tree of size \(head.size)")
                    return lines.joined(separator: "\n")
                case .json:
                    var json = JSONWriter()
                    json.object { json in
                        json.member("verified", bool: true)
                        json.member("position", integer: event.position)
                        json.member("leafHash", string: event.leafHash.hex)
                        json.member("origin", string: signed.checkpoint.origin)
                        json.member("treeSize", integer: head.size)
                        json.member("root", string: head.root.hex)
                        json.member("verifierKey", string: verifier.keyString)
                        json.key("path")
                        json.array { json in for hash in proof.path { json.string(hash.hex) } }
                    }
                    return String(decoding: json.bytes, as: UTF8.self)
                }
            }
        }
    }
}

extension Tally.Audit {
    /// Proves the server's log only grew since a checkpoint the auditor kept.
    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that the server's latest signed checkpoint extends one you kept: nothing was rewritten.",
            discussion: """
                Opens the kept checkpoint (--from) and the server's latest (or the one at
                --size) with the pinned verifier key, fetches the consistency proof between
                their trees and checks it locally. Exits 0 if the newer tree extends the
                older one, 65 if a signature or the proof fails.

                Examples:
                  tally audit consistency --from checkpoint.txt --key checkpoint-verifier.key
                  tally audit consistency --from kept.txt --key verifier.key --size 41000
                """)
        @OptionGroup var server: OnlineOptions
        @Option(help: ArgumentHelp("The signed checkpoint you kept.", valueName: "file")) var from: String
        @Option(help: ArgumentHelp("The pinned verifier key file.", valueName: "file")) var key: String
        @Option(help: "The tree size of the newer checkpoint (default: the latest).") var size: UInt64?

        func run() async throws {
            try await Tally.reportingFailure {
                let verifier = try readVerifierKey(key)
                let old = try SignedCheckpoint(verifying: try readText(from), with: verifier)
                try await server.withClient { client in
                    let audit = AuditClient(client: client)
                    let new = try SignedCheckpoint(
                        verifying: try await audit.checkpointNote(size: size), with: verifier)
                    guard old.checkpoint.origin == new.checkpoint.origin else {
                        throw CheckpointError.malformedCheckpoint(
                            "the checkpoints are of two logs: \(old.checkpoint.origin) and \(new.checkpoint.origin)")
                    }
                    let proof = try await audit.consistencyProof(from: old.treeHead.size, to: new.treeHead.size)
                    try proof.verify(from: old.treeHead, to: new.treeHead)
                    print(
                        "verified: the signed tree of size \(new.treeHead.size) (root \(new.treeHead.root.hex)) extends the kept one of size \(old.treeHead.size) (root \(old.treeHead.root.hex)); \(proof.path.count) proof hashes"
                    )
                }
            }
        }
    }
}

/// Reads a verifier key file (`<name>+<id>+<key>`).
///
/// - Throws: ``CheckpointError/malformedKey(_:)`` if it holds no verifier key.
func readVerifierKey(_ path: String) throws -> CheckpointVerifier {
    try CheckpointVerifier(parsing: try readText(path))
}

/// The text of the file at `path`; bytes that are not UTF-8 become U+FFFD, which every checkpoint check refuses.
func readText(_ path: String) throws -> String {
    String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
}

/// The audit routes of `/v1`, read into TallyVerify's types.
struct AuditClient {
    let client: TallyClient

    /// The signed note of the latest checkpoint, or of the one at `size`.
    func checkpointNote(size: UInt64?) async throws -> String {
        let answer = try await client.get("/v1/checkpoints/\(size.map(String.init) ?? "latest")")
        return try string("note", in: try object(answer))
    }

    /// The server's verifier key string.
    func verifierKey() async throws -> String {
        try string("verifierKey", in: try object(try await client.get("/v1/checkpoint-key")))
    }

    /// The event at `position`, as the API writes it (its leaf hash recomputed from its content).
    func event(at position: UInt64) async throws -> ExportedEvent {
        let answer = try await client.get("/v1/events", query: [("from", String(position)), ("limit", "1")])
        // The event's exact bytes from the page: its leaf hash is recomputed from them.
        guard let bytes = try ServerPage(answer, items: "events", cursor: "after").items.first else {
            throw TallyClientError.unexpectedAnswer("no event at position \(position)")
        }
        let event = try ExportedEvent(json: bytes)
        guard event.position == position else {
            throw TallyClientError.unexpectedAnswer("asked for position \(position), got \(event.position)")
        }
        return event
    }

    /// The inclusion proof of `position` in the tree of `treeSize` events.
    func inclusionProof(position: UInt64, treeSize: UInt64) async throws -> InclusionProof {
        let answer = try await client.get(
            "/v1/proofs/inclusion", query: [("position", String(position)), ("treeSize", String(treeSize))])
        let json = try object(answer)
        guard let leafIndex = (json["leafIndex"] as? NSNumber)?.uint64Value,
            let size = (json["treeSize"] as? NSNumber)?.uint64Value, let path = json["path"] as? [String]
        else { throw TallyClientError.unexpectedAnswer("an inclusion proof without leafIndex, treeSize or path") }
        return InclusionProof(leafIndex: leafIndex, treeSize: size, path: try hashes(path))
    }

    /// The consistency proof from the tree of `from` events to that of `to`.
    func consistencyProof(from: UInt64, to: UInt64) async throws -> ConsistencyProof {
        let answer = try await client.get(
            "/v1/proofs/consistency", query: [("from", String(from)), ("to", String(to))])
        guard let path = try object(answer)["path"] as? [String] else {
            throw TallyClientError.unexpectedAnswer("a consistency proof without path")
        }
        return ConsistencyProof(oldSize: from, newSize: to, path: try hashes(path))
    }

    private func hashes(_ path: [String]) throws -> [[UInt8]] {
        try path.map { text in
            guard let hash = Tally.Verify.bytes(hex: text) else {
                throw TallyClientError.unexpectedAnswer("a proof hash that is not 64 hex digits")
            }
            return hash
        }
    }

    private func object(_ answer: TallyClient.Answer) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
            throw TallyClientError.unexpectedAnswer("not a JSON object")
        }
        return object
    }

    private func string(_ name: String, in object: [String: Any]) throws -> String {
        guard let value = object[name] as? String else { throw TallyClientError.unexpectedAnswer("no \(name)") }
        return value
    }
}
