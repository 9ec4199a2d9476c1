import TallyVerify
import Testing

/// Known answers from an independent implementation: `tools/checkpoint-vectors.py` (the C2SP
/// signed-note and tlog-checkpoint specifications written from their text with Python's
/// `cryptography` Ed25519 and `hashlib`, no code shared with Tally), over seeds
/// `SHA-256("tally checkpoint test key <n>")` and the roots of `tools/merkle-vectors.py`. Its output is pasted below.
enum CheckpointVectors {
    static let signerKey = "PRIVATE+KEY+tally.local/test+31a9ffef+Aaf1dw+dYH3Q8DXVpIxi3gP1BHSFGg7ZT36PU60spP7j"
    static let verifierKey = "tally.local/test+31a9ffef+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6"
    static let otherSignerKey =
        "PRIVATE+KEY+tally.local/other+63c9ff0b+AUjSMHWEX2c6B6oWR5nXZgp42LXoLG9K+7kn9Zf2jFZe"
    static let otherVerifierKey = "tally.local/other+63c9ff0b+AR7KUhSsn8Gs4fMa7OXvolVAMGzhuqDScLNGSRVNWeKs"
    static let empty =
        "tally.local/test\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— tally.local/test Man/7yHdPdn11x96ENhZzpoK1QIUS8uCBw+X5ropBgJ0hS2O65+nTiXaMIgny//1NyXKsadDQjR7CbM9ICmYFJmlyw8=\n"
    static let size3 =
        "tally.local/test\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n\n— tally.local/test Man/76cpHPD2eylseuAbv3vf9shq+WMyCfSjElMXXJVXPU+heQzgNNP3d5J8m4bPwaP1rgbnoETiJljKR/DgwzrVTwI=\n"
    static let size13Extension =
        "tally.local/test\n13\nNKGKu205v91ohrYMMLzf2ft5t0lu7rVGHWZRBNagCWY=\ntally-extension value\n\n— tally.local/test Man/7/EgghNNBkHRW44/AoPqCTn8CFK/HGVJN6BYzIjMRLO25yip0NCA10Y/GAGsEqAFbdqg97eWktAzyD8l/bAm1Ac=\n"
    static let twoSigners =
        "tally.local/test\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n\n— tally.local/other Y8n/C9JzZqHxboM/2n6jaJy+2bdH9GoLrIRsU6RqhzoFRyhzbOc13joROmefLRqRyIkpcIzqR/l2KjjASGoDjqaAlAY=\n— tally.local/test Man/76cpHPD2eylseuAbv3vf9shq+WMyCfSjElMXXJVXPU+heQzgNNP3d5J8m4bPwaP1rgbnoETiJljKR/DgwzrVTwI=\n"
    static let otherKey =
        "tally.local/test\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n\n— tally.local/other Y8n/C9JzZqHxboM/2n6jaJy+2bdH9GoLrIRsU6RqhzoFRyhzbOc13joROmefLRqRyIkpcIzqR/l2KjjASGoDjqaAlAY=\n"

    /// The example of Go's `golang.org/x/mod/sumdb/note` documentation (checked with the script's
    /// Python too): a third implementation's note, not a checkpoint.
    static let goVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let goNote =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
}

@Suite("Signed checkpoints")
struct CheckpointTests {
    let signer = try! CheckpointSigner(parsing: CheckpointVectors.signerKey)
    let verifier = try! CheckpointVerifier(parsing: CheckpointVectors.verifierKey)

    @Test func aSignedCheckpointRoundTrips() throws {
        let signer = try CheckpointSigner.generate(name: "tally.local/round-trip")
        let head = TreeHead(size: 42, root: [UInt8](repeating: 7, count: 32))
        let checkpoint = try Checkpoint(origin: "tally.local/round-trip", treeHead: head)
        let signed = try signer.sign(checkpoint)
        let opened = try SignedCheckpoint(verifying: signed.text, with: signer.verifier)
        #expect(opened == signed)
        #expect(opened.treeHead == head)
        #expect(try CheckpointSigner(parsing: signer.keyString).verifier == signer.verifier)
        #expect(try CheckpointVerifier(parsing: signer.verifier.keyString + "\n") == signer.verifier)
    }

    @Test func keysMatchTheReference() throws {
        #expect(signer.keyString == CheckpointVectors.signerKey)
        #expect(signer.verifier.keyString == CheckpointVectors.verifierKey)
        #expect(verifier == signer.verifier)
        #expect(verifier.keyID.hex == "31a9ffef")
    }

    @Test(arguments: [
        (
            CheckpointVectors.empty, UInt64(0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            [String]()
        ),
        (CheckpointVectors.size3, 3, "7bd6a30fc6861101b317d3ee5feecf1098444b5d39d84a011c450230c824268a", []),
        (
            CheckpointVectors.size13Extension, 13, "34a18abb6d39bfdd6886b60c30bcdfd9fb79b7496eeeb5461d665104d6a00966",
            ["tally-extension value"]
        ),
    ])
    func referenceNotesVerifyAndAreWhatTallySigns(note: String, size: UInt64, root: String, extensions: [String])
        throws
    {
        let opened = try SignedCheckpoint(verifying: note, with: verifier)
        #expect(opened.treeHead == TreeHead(size: size, root: [UInt8](hex: root)))
        #expect(opened.checkpoint.origin == "tally.local/test")
        #expect(opened.checkpoint.extensions == extensions)
        // Ed25519 is deterministic (RFC 8032); BoringSSL, swift-crypto's backend on Linux, signs so.
        let resigned = try signer.sign(opened.checkpoint)
        #if os(Linux)
            #expect(resigned.text == note)
        #endif
        #expect(try SignedCheckpoint(verifying: resigned.text, with: verifier) == resigned)
    }

    @Test func aNoteWithAnotherSignatureBesideOursVerifies() throws {
        let opened = try SignedCheckpoint(verifying: CheckpointVectors.twoSigners, with: verifier)
        #expect(opened.treeHead.size == 3)
        let other = try CheckpointVerifier(parsing: CheckpointVectors.otherVerifierKey)
        #expect(try SignedCheckpoint(verifying: CheckpointVectors.twoSigners, with: other).treeHead.size == 3)
    }

    @Test func aNoteSignedByAnotherKeyIsRejected() throws {
        #expect(throws: CheckpointError.unknownKey(name: "tally.local/other")) {
            try SignedCheckpoint(verifying: CheckpointVectors.otherKey, with: verifier)
        }
        // The same name with another key: the key id differs, so the signature is not ours.
        let impostor = try CheckpointSigner.generate(name: "tally.local/test")
        let forged = try impostor.sign(
            try Checkpoint(
                parsing: "tally.local/test\n3\n" + String(CheckpointVectors.size3.split(separator: "\n")[2]) + "\n"))
        #expect(throws: CheckpointError.unknownKey(name: "tally.local/test")) {
            try SignedCheckpoint(verifying: forged.text, with: verifier)
        }
    }

    @Test func goReferenceNoteVerifies() throws {
        let go = try CheckpointVerifier(parsing: CheckpointVectors.goVerifierKey)
        // Not a checkpoint, so opening it as one fails only after the signature checked out.
        #expect(throws: CheckpointError.malformedCheckpoint("it has 2 lines, not at least 3")) {
            try SignedCheckpoint(verifying: CheckpointVectors.goNote, with: go)
        }
        var altered = Array(CheckpointVectors.goNote.utf8)
        altered[3] ^= 1
        #expect(throws: CheckpointError.badSignature(name: "PeterNeumann")) {
            try SignedCheckpoint(verifying: String(decoding: altered, as: UTF8.self), with: go)
        }
    }

    @Test(arguments: [CheckpointVectors.size3, CheckpointVectors.size13Extension])
    func everySingleBitChangeIsRejected(note: String) {
        let bytes = Array(note.utf8)
        var accepted: [Int] = []
        for bit in 0..<bytes.count * 8 {
            var flipped = bytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            let text = String(decoding: flipped, as: UTF8.self)
            if (try? SignedCheckpoint(verifying: text, with: verifier)) != nil { accepted.append(bit) }
        }
        #expect(accepted.isEmpty, "bits whose flip was accepted: \(accepted)")
    }

    @Test func everySingleBitChangeOfTheVerifierKeyIsRejectedOrRejectsTheNote() {
        let bytes = Array(CheckpointVectors.verifierKey.utf8)
        for bit in 0..<bytes.count * 8 {
            var flipped = bytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            guard let key = try? CheckpointVerifier(parsing: String(decoding: flipped, as: UTF8.self)) else { continue }
            #expect(
                (try? SignedCheckpoint(verifying: CheckpointVectors.size3, with: key)) == nil,
                "verifier key with bit \(bit) flipped still verifies")
        }
    }

    @Test(arguments: [
        ("", "it does not end in a newline"),
        ("tally.local/test\n3\nroot\n", "no empty line before the signatures"),
        ("a\n\n", "it has no signature"),
        ("a\n\nsignature\n", "a signature line does not start with —"),
        ("a\n\n— name\n", "a signature line has no signature"),
        ("a\n\n— name AAAA\n", "a signature line is not — <name> <base64>"),
        ("a\tb\n\n— name AAAAAAAA\n", "it holds a control character"),
    ])
    func malformedNotesAreRejectedWithTheReason(text: String, reason: String) {
        #expect(throws: CheckpointError.malformedNote(reason)) { try SignedCheckpoint(verifying: text, with: verifier) }
    }

    @Test(arguments: [
        "tally.local/test\n03\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n",
        "tally.local/test\n+3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n",
        "tally.local/test\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJo=\n",
        "tally.local/test\n3\n",
        "\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n",
        "tally.local/test\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n\n",
    ])
    func malformedCheckpointsAreRejected(body: String) {
        #expect(throws: CheckpointError.self) { try Checkpoint(parsing: body) }
    }

    @Test(arguments: [
        "tally.local/test+31a9ffee+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6",
        "tally.local/other+31a9ffef+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6",
        "tally.local/test+31a9ffef+AjrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6",
        "tally.local/test+31a9ffef",
        "+31a9ffef+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6",
    ])
    func malformedVerifierKeysAreRejected(key: String) {
        #expect(throws: CheckpointError.self) { try CheckpointVerifier(parsing: key) }
    }
}
