import Crypto
import Foundation

/// A public key that checks checkpoint signatures, in Go `sumdb/note`'s verifier key form:
/// `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ Ed25519 public key)>`.
///
/// The key id is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), so the name is
/// bound to the key: a note signed under another name, or by another key, does not verify.
package struct CheckpointVerifier: Sendable, Equatable, Hashable {
    /// The key's name, the name in the signature lines it checks (Tally uses the log's origin).
    package let name: String
    /// The key id: 4 bytes.
    package let keyID: [UInt8]
    /// The raw Ed25519 public key: 32 bytes.
    package let publicKey: [UInt8]

    /// The verifier for `publicKey` under `name`.
    ///
    /// - Throws: ``CheckpointError/malformedKey(_:)`` for an invalid name or a key that is not 32 bytes.
    package init(name: String, publicKey: [UInt8]) throws(CheckpointError) {
        guard isValidKeyName(name) else {
            throw .malformedKey("the key name is empty or holds +, a space or a control")
        }
        guard publicKey.count == 32 else { throw .malformedKey("an Ed25519 public key is 32 bytes") }
        self.name = name
        self.publicKey = publicKey
        self.keyID = checkpointKeyID(name: name, publicKey: publicKey)
    }

    /// Parses a verifier key string (surrounding white space, such as a file's last newline, is ignored).
    ///
    /// - Throws: ``CheckpointError/malformedKey(_:)`` if it is not `<name>+<hex id>+<base64 key>`, the
    ///   algorithm is not Ed25519 (0x01), or the id is not the one the name and key give.
    package init(parsing text: String) throws(CheckpointError) {
        // At most three parts: base64 may hold `+` too.
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count == 8, let id = hexBytes(String(parts[1])),
            let key = canonicalBase64Decoded(String(parts[2]))
        else { throw .malformedKey("a verifier key reads <name>+<8 hex digits>+<base64 key>") }
        guard key.first == 0x01, key.count == 33 else { throw .malformedKey("the key is not an Ed25519 key") }
        try self.init(name: String(parts[0]), publicKey: Array(key.dropFirst()))
        guard keyID == id else { throw .malformedKey("the key id does not match the name and key") }
    }

    /// The verifier key string, as ``init(parsing:)`` reads it.
    package var keyString: String {
        "\(name)+\(keyID.hexDigits)+\(base64Encoded([0x01] + publicKey))"
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    func isValidSignature(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// An Ed25519 private key that signs checkpoints, with its name.
///
/// Its key string is Go `sumdb/note`'s signer key form,
/// `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ 32-byte seed)>`, so notes it signs verify with Go's tools too.
///
/// ```swift
/// let signer = CheckpointSigner.generate(name: "tally.local/ledger")
/// let note = try signer.sign(Checkpoint(origin: "tally.local/ledger", treeHead: head))
/// try SignedCheckpoint(verifying: note.text, with: signer.verifier)
/// ```
///
/// - Important: The key string is a secret: keep it in a file only its owner reads (0600).
package struct CheckpointSigner: Sendable {
    /// The key's name, written in every signature line.
    package let name: String
    private let privateKey: Curve25519.Signing.PrivateKey
    /// The public half, to publish.
    package let verifier: CheckpointVerifier

    /// A signer with `privateKey` under `name`.
    ///
    /// - Throws: ``CheckpointError/malformedKey(_:)`` for an invalid name.
    init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(CheckpointError) {
        self.name = name
        self.privateKey = privateKey
        self.verifier = try CheckpointVerifier(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// A signer with a new random key.
    ///
    /// - Precondition: `name` is a valid key name (not empty, no `+`, no white space).
    package static func generate(name: String) throws(CheckpointError) -> CheckpointSigner {
        try CheckpointSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Parses a signer key string (surrounding white space is ignored).
    ///
    /// - Throws: ``CheckpointError/malformedKey(_:)`` if it is not `PRIVATE+KEY+<name>+<hex id>+<base64 seed>`,
    ///   or the id does not match the key.
    package init(parsing text: String) throws(CheckpointError) {
        // At most five parts: base64 may hold `+` too.
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", parts[3].utf8.count == 8,
            let id = hexBytes(String(parts[3])), let seed = canonicalBase64Decoded(String(parts[4]))
        else { throw .malformedKey("a signer key reads PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>") }
        guard seed.first == 0x01, seed.count == 33,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed.dropFirst())
        else { throw .malformedKey("the key is not an Ed25519 key") }
        try self.init(name: String(parts[2]), privateKey: key)
        guard verifier.keyID == id else { throw .malformedKey("the key id does not match the name and key") }
    }

    /// The same key under another name (which changes its key id).
    ///
    /// - Throws: ``CheckpointError/malformedKey(_:)`` for an invalid name.
    package func renamed(_ name: String) throws(CheckpointError) -> CheckpointSigner {
        try CheckpointSigner(name: name, privateKey: privateKey)
    }

    /// The signer key string, as ``init(parsing:)`` reads it.
    package var keyString: String {
        "PRIVATE+KEY+\(name)+\(verifier.keyID.hexDigits)+\(base64Encoded([0x01] + Array(privateKey.rawRepresentation)))"
    }

    /// Signs `checkpoint`: its text, an empty line, and this key's signature line.
    ///
    /// - Throws: any error swift-crypto reports while signing.
    package func sign(_ checkpoint: Checkpoint) throws -> SignedCheckpoint {
        let body = checkpoint.body
        let signature = try privateKey.signature(for: Array(body.utf8))
        let line = "\u{2014} \(name) \(base64Encoded(verifier.keyID + Array(signature)))\n"
        return SignedCheckpoint(checkpoint: checkpoint, text: body + "\n" + line)
    }
}

/// The first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key): `sumdb/note`'s key id for Ed25519.
private func checkpointKeyID(name: String, publicKey: [UInt8]) -> [UInt8] {
    var hasher = SHA256()
    hasher.update(data: Array(name.utf8) + [0x0A, 0x01] + publicKey)
    return Array(Array(hasher.finalize()).prefix(4))
}

/// Standard base64 with padding.
func base64Encoded(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString()
}

/// The bytes of standard, padded base64 text, or `nil` unless the text is exactly how those bytes
/// encode: a text differing only in unused bits or padding is refused, so every change of a
/// signed note's text is a change of what it says.
func canonicalBase64Decoded(_ text: String) -> [UInt8]? {
    guard !text.isEmpty, let data = Data(base64Encoded: text) else { return nil }
    let bytes = Array(data)
    return base64Encoded(bytes) == text ? bytes : nil
}

/// The bytes of an even number of lower-case hexadecimal digits, or `nil`.
private func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count.isMultiple(of: 2) else { return nil }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 0x30...0x39: digit - 0x30
            case 0x61...0x66: digit - 0x61 + 10
            default: nil
            }
        }
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

extension [UInt8] {
    /// Lower-case hexadecimal.
    fileprivate var hexDigits: String {
        map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
