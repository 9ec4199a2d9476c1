import Foundation
import Synchronization
package import TallyStore
package import TallyVerify

/// Signs checkpoints of the log and publishes the latest out of band, in a file beside the log.
///
/// Used by the periodic signer and by `POST /v1/checkpoints`; the writer serializes both, so a
/// head is signed once.
package struct CheckpointPublisher: Sendable {
    /// The log whose tree is signed.
    package let log: EventLog
    /// The checkpoints' origin line: the log's name.
    package let origin: String
    /// The signing key.
    package let signer: CheckpointSigner
    /// Where the latest signed note is written (atomically replaced, mode 0644), if anywhere.
    package let latestPath: String?
    /// Held while the file is written, so that concurrent publishers never leave an older note in it.
    private let fileLock = FileLock()

    /// A publisher signing `log`'s checkpoints for `origin` with `signer`.
    package init(log: EventLog, origin: String, signer: CheckpointSigner, latestPath: String? = nil) {
        self.log = log
        self.origin = origin
        self.signer = signer
        self.latestPath = latestPath
    }

    /// The public key auditors pin, as a `sumdb/note` verifier key string.
    package var verifierKey: String { signer.verifier.keyString }

    /// Signs a checkpoint of the current head unless the latest one already covers it, and writes
    /// the latest note to ``latestPath``.
    ///
    /// - Returns: The latest checkpoint and whether this call signed it.
    /// - Throws: as ``EventLog/signCheckpoint(origin:with:)``; `FileError` if the file cannot be written.
    @discardableResult
    package func publish() async throws -> (checkpoint: StoredCheckpoint, isNew: Bool) {
        let (checkpoint, isNew) = try await log.signCheckpoint(origin: origin, with: signer)
        if let latestPath, isNew || !FileManager.default.fileExists(atPath: latestPath) {
            try fileLock.mutex.withLock { _ in
                // The latest as of now, which a concurrent call may have made newer than ours.
                let latest = try log.latestCheckpoint() ?? checkpoint
                try writeFileAtomically(Array(latest.note.utf8), to: latestPath, mode: 0o644)
            }
        }
        return (checkpoint, isNew)
    }
}

private final class FileLock: Sendable {
    let mutex = Mutex(())
}
