package import Foundation
package import TallyLMDB

/// A command run inside the writer's transaction: read the current state, decide, say what to append.
///
/// Because the writer runs one command at a time against state that includes every earlier
/// write of its batch, deciding needs no retry loop and no update can be lost.
package protocol CommandHandler: Sendable {
    /// The command's identity (an `Idempotency-Key`): running a command whose id has run before
    /// returns the first run's receipt instead of deciding again.
    var commandID: UUID { get }
    /// A digest of what the command asks (for example SHA-256 of its canonical JSON), so that a
    /// different command reusing an id is refused rather than mistaken for a retry.
    var fingerprint: [UInt8] { get }
    /// Roughly how many bytes the command will write; bounds a group commit.
    var estimatedBytes: Int { get }
    /// Decides against the log and the inline read models as they stand in `txn`, writing nothing.
    ///
    /// - Returns: The append to make, or `nil` when the command changes nothing.
    /// - Throws: the domain's rejection (or any error), which refuses the command.
    func decide(in txn: borrowing WriteTransaction) throws -> AppendRequest?
}

/// One write for the writer: a raw append, a command to decide first, or a step of an async projector.
enum WriteOperation: Sendable {
    case append(AppendRequest)
    case command(any CommandHandler)
    case restore([ExportedEvent])
    case project(AsyncProjections, index: Int, limit: Int, prefetched: PrefetchedStep?)
    case resetProjection(AsyncProjections, index: Int)
    case resolveDeadLetter(DeadLetterResolution, projector: any Projector, table: ProjectionTable, position: UInt64)
    case signCheckpoint(CheckpointSigning)
    case erase(ErasureRequest, AsyncProjections)

    var estimatedBytes: Int {
        switch self {
        case .append(let request): request.estimatedBytes
        case .restore(let events): events.reduce(0) { $0 + $1.event.data.count + $1.event.metadata.count + 256 }
        case .command(let handler): handler.estimatedBytes
        case .project(_, _, let limit, _): limit * 512
        case .resolveDeadLetter, .resetProjection, .signCheckpoint: 4096
        case .erase(let request, _): request.positions.count * 1024
        }
    }
}

/// What the writer answers for one operation.
enum WriteResult: Sendable {
    case receipt(AppendReceipt)
    case projected(ProjectionProgress)
    case resolved(Bool)
    case checkpoint(StoredCheckpoint, isNew: Bool)
    case erased(ErasureReceipt)
}

/// The record of a command that ran: `commands` maps its id to this.
struct CommandRecord: Equatable {
    /// The command's fingerprint (32 bytes).
    let fingerprint: [UInt8]
    /// The position of its first event (meaningless when `count` is 0).
    let firstPosition: UInt64
    /// How many events it appended; 0 when it changed nothing.
    let count: UInt32

    var stored: [UInt8] { fingerprint + firstPosition.bigEndianBytes + count.bigEndianBytes }

    init(fingerprint: [UInt8], firstPosition: UInt64, count: UInt32) {
        self.fingerprint = fingerprint
        self.firstPosition = firstPosition
        self.count = count
    }

    init(stored: UnsafeRawBufferPointer) throws {
        guard stored.count >= 12 else { throw EventLogError.corrupted("command record of \(stored.count) bytes") }
        let fingerprintEnd = stored.count - 12
        fingerprint = Array(stored[..<fingerprintEnd])
        firstPosition = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: stored[fingerprintEnd...]))
        count = UInt32(bigEndianBytes: UnsafeRawBufferPointer(rebasing: stored[(fingerprintEnd + 8)...]))
    }
}
