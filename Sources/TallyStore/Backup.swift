import Foundation
import TallyLMDB
package import TallyVerify

/// Why a backup or a restore did not start.
package enum BackupError: Error, Equatable, Sendable {
    /// The target directory already holds files; backups and restores never overwrite.
    case targetNotEmpty(String)
}

extension LogReading {
    /// Writes a compacted, consistent copy of the log and its read models into `directory`, which
    /// must not exist or be empty, and returns the Merkle tree head the copy holds.
    ///
    /// The copy is one snapshot: appends go on while it runs and are not in it. Blocks its thread.
    ///
    /// - Throws: ``BackupError/targetNotEmpty(_:)``; `LMDBError` from the copy.
    package func backup(to directory: String) throws -> TreeHead {
        try prepareEmptyDirectory(directory)
        try environment.copy(to: directory)
        let copy = try ReadOnlyLog(path: directory)
        defer { copy.close() }
        return try copy.treeHead()
    }
}

extension ReadOnlyLog {
    /// Copies the backup in `backup` into `directory` (which must not exist or be empty) and
    /// checks that the restored log holds the backup's tree head; returns it.
    ///
    /// - Throws: ``BackupError/targetNotEmpty(_:)``; ``EventLogError/corrupted(_:)`` if `backup` holds
    ///   no log or the restored copy differs; `LMDBError` from the copy.
    package static func restore(from backup: String, to directory: String) throws -> TreeHead {
        let source = try ReadOnlyLog(path: backup)
        defer { source.close() }
        let head = try source.treeHead()
        try prepareEmptyDirectory(directory)
        try source.environment.copy(to: directory)
        let restored = try ReadOnlyLog(path: directory)
        defer { restored.close() }
        guard try restored.treeHead() == head else {
            throw EventLogError.corrupted("the restored log's tree head differs from the backup's")
        }
        return head
    }
}

/// Creates `directory` (mode 0750) if missing; refuses one that holds anything.
private func prepareEmptyDirectory(_ directory: String) throws {
    let files = FileManager.default
    if files.fileExists(atPath: directory) {
        guard try files.contentsOfDirectory(atPath: directory).isEmpty else {
            throw BackupError.targetNotEmpty(directory)
        }
    } else {
        try files.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
    }
}
