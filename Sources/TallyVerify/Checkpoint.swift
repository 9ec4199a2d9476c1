/// A log's claim about its Merkle tree: the body of a C2SP `tlog-checkpoint`
/// (<https://c2sp.org/tlog-checkpoint>), which a ``SignedCheckpoint`` signs.
///
/// Its text is the origin line, the tree size in decimal, the root in standard base64 (with
/// padding), then any extension lines, each ending in a newline:
///
/// ```
/// tally.local/ledger
/// 41000
/// n/3u+ZyNMYg5HhcHXDuzh3QQ3Syn8cknN5pDDdX6AZ4=
/// ```
package struct Checkpoint: Sendable, Equatable, Hashable {
    /// The log's identity, conventionally a schema-less URL (`tally.local/ledger`): a checkpoint of
    /// one log is never taken for another's.
    package let origin: String
    /// The tree size and root the checkpoint states.
    package let treeHead: TreeHead
    /// Lines after the root, kept as given (none in checkpoints Tally signs).
    package let extensions: [String]

    /// A checkpoint of `treeHead` for the log named `origin`.
    ///
    /// - Throws: ``CheckpointError/malformedCheckpoint(_:)`` for an empty origin or line, a line
    ///   holding a control character, or a root that is not 32 bytes.
    package init(origin: String, treeHead: TreeHead, extensions: [String] = []) throws(CheckpointError) {
        guard !origin.isEmpty, isPrintableLine(origin) else {
            throw .malformedCheckpoint("the origin line is not valid")
        }
        guard treeHead.root.count == MerkleHash.byteCount else {
            throw .malformedCheckpoint("the root is \(treeHead.root.count) bytes, not 32")
        }
        for line in extensions where line.isEmpty || !isPrintableLine(line) {
            throw .malformedCheckpoint("an extension line is empty or holds a control character")
        }
        self.origin = origin
        self.treeHead = treeHead
        self.extensions = extensions
    }

    /// Parses a checkpoint's text (the note body, ending in a newline).
    ///
    /// - Throws: ``CheckpointError/malformedCheckpoint(_:)`` naming the first line that is wrong.
    package init(parsing body: String) throws(CheckpointError) {
        guard body.hasSuffix("\n") else { throw .malformedCheckpoint("the text does not end in a newline") }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw .malformedCheckpoint("it has \(lines.count) lines, not at least 3") }
        let sizeText = lines[1]
        guard let size = UInt64(sizeText), sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            sizeText == "0" || !sizeText.hasPrefix("0")
        else { throw .malformedCheckpoint("the size line is not a decimal number") }
        guard let root = canonicalBase64Decoded(lines[2]), root.count == MerkleHash.byteCount else {
            throw .malformedCheckpoint("the root line is not 32 bytes in base64")
        }
        try self.init(origin: lines[0], treeHead: TreeHead(size: size, root: root), extensions: Array(lines[3...]))
    }

    /// The checkpoint's text: what a signature covers.
    package var body: String {
        ([origin, String(treeHead.size), base64Encoded(treeHead.root)] + extensions).map { $0 + "\n" }.joined()
    }
}

/// A checkpoint with the C2SP `signed-note` signatures (<https://c2sp.org/signed-note>) that vouch for it.
///
/// The text is the checkpoint, an empty line, then one line per signature:
/// `— <key name> <base64(key id ‖ Ed25519 signature of the checkpoint text)>`.
///
/// ```swift
/// let verifier = try CheckpointVerifier(parsing: pinnedVerifierKey)
/// let signed = try SignedCheckpoint(verifying: noteText, with: verifier)  // throws CheckpointError
/// try proof.verify(leafHash: event.leafHash, against: signed.checkpoint.treeHead)
/// ```
package struct SignedCheckpoint: Sendable, Equatable, Hashable {
    /// What the note states.
    package let checkpoint: Checkpoint
    /// The whole note, exactly as signed and published.
    package let text: String

    /// Wraps a note a ``CheckpointSigner`` has just made.
    init(checkpoint: Checkpoint, text: String) {
        self.checkpoint = checkpoint
        self.text = text
    }

    /// Opens the note `text`: checks its form, then that `verifier`'s key signed it, then parses the checkpoint.
    ///
    /// Signatures by other keys are allowed (and ignored), as C2SP says; one by `verifier`'s key must be present and valid.
    ///
    /// - Throws: ``CheckpointError/malformedNote(_:)`` if the text is not a signed note;
    ///   ``CheckpointError/unknownKey(name:)`` if no signature is by `verifier`'s key;
    ///   ``CheckpointError/badSignature(name:)`` if that signature does not match the text;
    ///   ``CheckpointError/malformedCheckpoint(_:)`` if the signed text is not a checkpoint.
    package init(verifying text: String, with verifier: CheckpointVerifier) throws(CheckpointError) {
        let note = try Note(parsing: text)
        var found = false
        for signature in note.signatures where signature.name == verifier.name && signature.keyID == verifier.keyID {
            guard verifier.isValidSignature(signature.signature, of: Array(note.body.utf8)) else {
                throw .badSignature(name: verifier.name)
            }
            found = true
        }
        guard found else { throw .unknownKey(name: note.signatures.first?.name ?? "") }
        self.init(checkpoint: try Checkpoint(parsing: note.body), text: text)
    }

    /// The tree size and root the checkpoint states.
    package var treeHead: TreeHead { checkpoint.treeHead }
}

/// Why a checkpoint, its note or a key was rejected. Every case means "do not trust it".
package enum CheckpointError: Error, Equatable, Sendable {
    /// The text is not a signed note: not UTF-8, a control character, no empty line before the
    /// signatures, or a signature line that is not `— <name> <base64>`.
    case malformedNote(String)
    /// The signed text is not a checkpoint (origin, decimal size, base64 root).
    case malformedCheckpoint(String)
    /// A signer or verifier key string is not in the `sumdb/note` form, or its key id does not match its key.
    case malformedKey(String)
    /// No signature in the note is by the verifier's key; `name` is the first signer's name.
    case unknownKey(name: String)
    /// The verifier's key signed the note, but the signature does not match the text: it was altered.
    case badSignature(name: String)
}

extension Checkpoint {
    /// Reads the checkpoint a signed note carries **without checking any signature**: for showing
    /// a note, never for trusting it (``SignedCheckpoint/init(verifying:with:)`` does that).
    ///
    /// - Throws: ``CheckpointError/malformedNote(_:)`` or ``CheckpointError/malformedCheckpoint(_:)``.
    package init(unverifiedNote text: String) throws(CheckpointError) {
        try self.init(parsing: try Note(parsing: text).body)
    }
}

// MARK: - The signed note

/// A signed note taken apart (C2SP `signed-note`), its signatures not yet checked.
private struct Note {
    struct Signature {
        let name: String
        let keyID: [UInt8]
        let signature: [UInt8]
    }

    /// The signed text, ending in a newline.
    let body: String
    let signatures: [Signature]

    /// At most this many signature lines, as Go's `sumdb/note` allows.
    static let maxSignatures = 100

    init(parsing text: String) throws(CheckpointError) {
        let bytes = Array(text.utf8)
        // Swift strings are always valid UTF-8; a note read from bytes was decoded with repairs, so
        // a replacement character means the bytes were not UTF-8.
        guard !text.unicodeScalars.contains("\u{FFFD}") else { throw .malformedNote("it is not valid UTF-8") }
        guard text.unicodeScalars.allSatisfy({ $0 == "\n" || !isControl($0) }) else {
            throw .malformedNote("it holds a control character")
        }
        guard bytes.last == 0x0A else { throw .malformedNote("it does not end in a newline") }
        guard let split = lastEmptyLine(in: bytes) else { throw .malformedNote("no empty line before the signatures") }
        body = String(decoding: bytes[...split], as: UTF8.self)
        guard split + 2 < bytes.count else { throw .malformedNote("it has no signature") }
        var signatures: [Signature] = []
        for line in bytes[(split + 2)...].dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard signatures.count < Self.maxSignatures else { throw .malformedNote("too many signatures") }
            let prefix = Array("\u{2014} ".utf8)
            guard line.starts(with: prefix) else { throw .malformedNote("a signature line does not start with —") }
            let rest = line.dropFirst(prefix.count)
            guard let space = rest.lastIndex(of: 0x20) else {
                throw .malformedNote("a signature line has no signature")
            }
            let name = String(decoding: rest[..<space], as: UTF8.self)
            guard isValidKeyName(name),
                let raw = canonicalBase64Decoded(String(decoding: rest[(space + 1)...], as: UTF8.self)),
                raw.count > 4
            else { throw .malformedNote("a signature line is not — <name> <base64>") }
            signatures.append(Signature(name: name, keyID: Array(raw[..<4]), signature: Array(raw[4...])))
        }
        self.signatures = signatures
    }
}

/// The index of the first newline of the last `\n\n` in `bytes`.
private func lastEmptyLine(in bytes: [UInt8]) -> Int? {
    guard bytes.count >= 2 else { return nil }
    for index in stride(from: bytes.count - 2, through: 0, by: -1)
    where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
        return index
    }
    return nil
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}

/// A line of a checkpoint: no newline and no other control character.
private func isPrintableLine(_ line: String) -> Bool {
    !line.unicodeScalars.contains(where: isControl) && !line.unicodeScalars.contains("\u{FFFD}")
}

/// A key name as `sumdb/note` allows it: not empty, no `+`, no white space or control character.
func isValidKeyName(_ name: String) -> Bool {
    !name.isEmpty
        && !name.unicodeScalars.contains {
            $0 == "+" || $0.properties.isWhitespace || isControl($0) || $0 == "\u{FFFD}"
        }
}
