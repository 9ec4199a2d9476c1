import Crypto
package import Foundation
import Synchronization
package import TallyCore
import TallyStore

/// What an API key's holder may do; every endpoint asks for one permission.
package enum Permission: String, Sendable, CaseIterable {
    case submitCommands, appendEvents, readStreams, readEvents, readProjections, readProofs, manageProjections,
        signCheckpoints, manageKeys, eraseEvents
}

/// The roles a key can have. `admin` may do everything; the others one job each.
package enum Role: String, Sendable, CaseIterable, Codable {
    case admin, writer, submitter, reader, auditor

    /// What the role may do.
    package var permissions: Set<Permission> {
        switch self {
        case .admin: Set(Permission.allCases)
        case .writer: [.appendEvents, .readStreams, .readEvents]
        case .submitter: [.submitCommands, .readProjections]
        case .reader: [.readProjections, .readStreams]
        case .auditor: [.readEvents, .readStreams, .readProofs]
        }
    }
}

/// One API key as stored: never the secret, only its SHA-256.
package struct APIKey: Sendable, Equatable, Codable {
    /// The public part of the key, shown in lists and logs.
    package let id: String
    /// A label for people.
    package let name: String
    /// What the key may do.
    package let role: Role
    /// When it was made.
    package let createdAt: Date
    /// When it was revoked; a revoked key authenticates nothing.
    package var revokedAt: Date?
    /// SHA-256 of the secret, hex. Keys are 256 random bits, so a fast hash is enough: there is
    /// nothing to guess by brute force, and the store never holds what would let one log in.
    let secretHash: String
}

/// The API keys, in `api-keys.json` (mode 0600) in the data folder; the server's only credentials.
///
/// A token reads `tally_<id>_<secret>`: the id finds the key, the secret's hash must match.
package final class APIKeyStore: Sendable {
    /// The file holding the keys.
    package let path: String
    private let keys: Mutex<[String: APIKey]>

    /// Opens the keys file at `path`, or an empty store if there is none yet.
    ///
    /// - Throws: if the file exists but cannot be read or is not a key list.
    package init(path: String) throws {
        self.path = path
        var keys: [String: APIKey] = [:]
        if FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            for key in try Self.decoder.decode([APIKey].self, from: data) { keys[key.id] = key }
        }
        self.keys = Mutex(keys)
    }

    /// Whether no key, live or revoked, was ever made.
    package var isEmpty: Bool { keys.withLock { $0.isEmpty } }

    /// Makes a key with `role`, stores its hash, and returns the key and its token (shown only now).
    package func create(name: String, role: Role) throws -> (key: APIKey, token: String) {
        let id = Self.randomHex(bytes: 6)
        let secret = Self.randomHex(bytes: 32)
        let key = APIKey(
            id: id, name: name, role: role, createdAt: Date(), revokedAt: nil, secretHash: Self.hash(secret))
        try keys.withLock { keys in
            var updated = keys
            updated[id] = key
            try save(updated)
            keys = updated
        }
        return (key, "tally_\(id)_\(secret)")
    }

    /// Every key, oldest first.
    package func list() -> [APIKey] {
        keys.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Revokes the key `id`; returns it, or `nil` if there is no such key.
    package func revoke(id: String) throws -> APIKey? {
        try keys.withLock { keys in
            guard var key = keys[id] else { return nil }
            if key.revokedAt == nil {
                key.revokedAt = Date()
                var updated = keys
                updated[id] = key
                try save(updated)
                keys = updated
            }
            return key
        }
    }

    /// The live key `token` names, or `nil` if it names none (or a revoked one).
    package func authenticate(_ token: some StringProtocol) -> APIKey? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "tally", let key = keys.withLock({ $0[String(parts[1])] }),
            key.revokedAt == nil
        else { return nil }
        return Self.constantTimeEqual(Self.hash(parts[2]), key.secretHash) ? key : nil
    }

    /// Writes `keys` to a new file beside ``path`` with mode 0600, syncs it, and renames it over the old one.
    private func save(_ keys: [String: APIKey]) throws {
        let sorted = keys.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        try writeSecretFile(Array(try Self.encoder.encode(sorted)), to: path)
    }

    private static func hash(_ secret: some StringProtocol) -> String {
        Array(SHA256.hash(data: Array(secret.utf8))).hex
    }

    private static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }.hex
    }

    private static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let (lhs, rhs) = (Array(lhs.utf8), Array(rhs.utf8))
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Writes `bytes` to `path` readable by its owner only (0600): to a temporary file first, synced,
/// then renamed over `path`, so a crash leaves either the old file or the new one.
package func writeSecretFile(_ bytes: [UInt8], to path: String) throws {
    try writeFileAtomically(bytes, to: path, mode: 0o600)
}

/// Writes `bytes` to `path` with permissions `mode`: to a temporary file first, synced, then
/// renamed over `path`, so a crash, or a reader, sees either the old file or the new one.
package func writeFileAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
    let temporary = path + ".tmp"
    // A leftover temporary file keeps its old mode through O_TRUNC: start afresh.
    unlink(temporary)
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
    guard descriptor >= 0 else { throw FileError(path: temporary, errno: errno) }
    do {
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard result > 0 else { throw FileError(path: temporary, errno: errno) }
            written += result
        }
        guard fsync(descriptor) == 0 else { throw FileError(path: temporary, errno: errno) }
        guard rename(temporary, path) == 0 else { throw FileError(path: path, errno: errno) }
    } catch {
        unlink(temporary)  // a full disk must not keep a half-written copy of a secret
        throw error
    }
}

/// A file the server keeps beside the log could not be written.
package struct FileError: Error, Equatable, CustomStringConvertible {
    /// The file.
    package let path: String
    /// The system's reason.
    package let errno: Int32

    package var description: String { "\(path): \(String(cString: strerror(errno)))" }
}

extension JSONWriter {
    /// Writes a key's public members (never its secret or hash), as `/v1/keys` and `tally keys` show them.
    package mutating func write(_ key: APIKey) {
        member("id", string: key.id)
        member("name", string: key.name)
        member("role", string: key.role.rawValue)
        member("createdAt", string: key.createdAt.ISO8601Format())
        member("revokedAt", optionalString: key.revokedAt?.ISO8601Format())
    }
}
