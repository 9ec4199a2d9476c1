import Crypto
import Foundation
@testable import TallyVerify

/// The key the checkpoint target signs with and verifies against; the corpus holds notes it signed.
private let signer = try! CheckpointSigner(
    name: "fuzz.tally.local/log",
    privateKey: Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x2A, count: 32)))

/// Reads the input (decoded as UTF-8 with repairs, as a file is read) as a checkpoint, a signed note
/// and a verifier key.
///
/// Properties: a checkpoint that parses writes back as exactly the same text, and a note this target's
/// key signs for it verifies to the same checkpoint; a note that verifies states the checkpoint
/// its unverified reading gives, and stops verifying when any bit of its signed text changes; a
/// verifier key that parses writes back as the same key string.
func fuzzCheckpoint(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let checkpoint = try? Checkpoint(parsing: text) {
        require(checkpoint.body == text, "a parsed checkpoint writes back as other text")
        guard let note = try? signer.sign(checkpoint) else { return require(false, "signing failed") }
        let opened = try? SignedCheckpoint(verifying: note.text, with: signer.verifier)
        require(opened?.checkpoint == checkpoint, "a note just signed does not verify to its checkpoint")
    }
    if let verified = try? SignedCheckpoint(verifying: text, with: signer.verifier) {
        require(
            (try? Checkpoint(unverifiedNote: text)) == verified.checkpoint, "unverified reading differs from verified")
        let signedLength = verified.checkpoint.body.utf8.count
        let noteBytes = Array(text.utf8)
        for index in Set([0, signedLength / 2, signedLength - 1]) {
            for bit in [0, 5] {
                var altered = noteBytes
                altered[index] ^= 1 << bit
                let alteredText = String(decoding: altered, as: UTF8.self)
                require(
                    (try? SignedCheckpoint(verifying: alteredText, with: signer.verifier)) == nil,
                    "a note still verifies with bit \(bit) of byte \(index) flipped")
            }
        }
    }
    if let verifier = try? CheckpointVerifier(parsing: text) {
        require(
            verifier.keyString == text.trimmingCharacters(in: .whitespacesAndNewlines),
            "a parsed verifier key writes back as other text")
        require((try? CheckpointVerifier(parsing: verifier.keyString)) == verifier, "a key string does not re-parse")
    }
}
