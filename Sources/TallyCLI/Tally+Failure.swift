import ArgumentParser
import Foundation
import TallyClient
import TallyHTTP
import TallyLMDB
import TallyStore
import TallyVerify

extension Tally {
    /// Runs `body`; on failure prints one line naming what went wrong and what to do, and exits
    /// with the sysexits(3) code from ``exitStatus(for:)``.
    static func reportingFailure(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("tally: \(describe(error))\n".utf8))
            throw exitStatus(for: error)
        }
    }

    /// sysexits(3) codes, so scripts can tell "you asked for something impossible"
    /// from "try again" from "Tally is broken".
    static func exitStatus(for error: any Error) -> ExitCode {
        switch error {
        case let error as EventLogError:
            switch error {
            case .unsupportedFormat, .corrupted, .streamNotFound, .treeTooSmall, .positionNotInTree,
                .treeSizesOutOfOrder, .checkpointNotFound, .unknownProjection, .noSuchDeadLetter,
                .inlineProjectionNotRebuildable, .eventNotFound, .notErasable, .erasureRefused:
                ExitCode(65)  // EX_DATAERR
            case .wrongExpectedRevision, .appendConditionFailed, .idempotencyConflict, .overloaded, .closed, .inUse:
                ExitCode(75)  // EX_TEMPFAIL: re-read, then retry
            case .storageFull: ExitCode(73)  // EX_CANTCREAT
            }
        case let error as DataDirectoryError:
            switch error.code {
            case EACCES, EPERM, EROFS: ExitCode(77)  // EX_NOPERM
            case ENOSPC, EDQUOT: ExitCode(73)  // EX_CANTCREAT
            default: ExitCode(74)  // EX_IOERR
            }
        case QueryError.behind: ExitCode(75)  // EX_TEMPFAIL
        case is ValidationError: ExitCode(64)  // EX_USAGE: a setting found wrong once running
        case is EventValidationError, is QueryError, is ImportError, is KeysError, is VerificationFailure,
            is ProjectionMismatch, is CheckpointError, is ProofError:
            ExitCode(65)  // EX_DATAERR
        case let error as ImportLineError:
            switch error {
            case .line(_, let cause): exitStatus(for: cause)
            case .rootMismatch: ExitCode(65)  // EX_DATAERR
            }
        case is BackupError: ExitCode(73)  // EX_CANTCREAT
        case let error as FileError:
            switch error.errno {
            case ENOSPC, EDQUOT: ExitCode(73)  // EX_CANTCREAT
            case EACCES, EPERM, EROFS: ExitCode(77)  // EX_NOPERM
            default: ExitCode(74)  // EX_IOERR
            }
        case let error as TallyClientError:
            switch error {
            case .invalidURL: ExitCode(64)  // EX_USAGE
            case .unreachable: ExitCode(69)  // EX_UNAVAILABLE
            case .unexpectedAnswer: ExitCode(76)  // EX_PROTOCOL
            case .refused(let problem):
                switch problem.status {
                case 401, 403: ExitCode(77)  // EX_NOPERM
                case 409, 503: ExitCode(75)  // EX_TEMPFAIL: re-read, then retry
                case 507: ExitCode(73)  // EX_CANTCREAT
                case 400..<500: ExitCode(65)  // EX_DATAERR: a rejection or a bad request
                default: ExitCode(70)  // EX_SOFTWARE
                }
            }
        case let error as LMDBError:
            switch error.kind {
            case .system(errno: EACCES), .system(errno: EPERM), .system(errno: EROFS): ExitCode(77)  // EX_NOPERM
            case .system(errno: EBUSY), .readersFull: ExitCode(75)  // EX_TEMPFAIL
            case .mapFull, .system(errno: ENOSPC): ExitCode(73)  // EX_CANTCREAT
            case .system, .corrupted, .panic, .incompatible: ExitCode(74)  // EX_IOERR
            default: ExitCode(70)  // EX_SOFTWARE
            }
        default: ExitCode(70)  // EX_SOFTWARE
        }
    }

    /// What to do when the system refuses the data directory or a file in it, for the refusals a person can act on.
    private static func hint(for code: Int32) -> String {
        switch code {
        case EROFS: "; tally needs it writable: mount it read-write, or choose another --data-dir"
        case ENOSPC, EDQUOT: "; free disk space, then try again"
        default: ""
        }
    }

    /// One line for people: what failed, in words, without internals they cannot act on.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as EventLogError:
            switch error {
            case .unsupportedFormat(let version):
                "the data directory holds a log in format \(version), newer than this tally understands; upgrade tally"
            case .corrupted(let what): "the log is damaged (\(what)); restore it from a backup"
            case .storageFull: "storage is full; free disk space or raise the map size"
            case .streamNotFound(let stream): "stream \(stream.rawValue) has no events"
            case .unknownProjection(let name): "no projection is named \(name)"
            case .eventNotFound(let position): "the log holds no event at position \(position)"
            case .notErasable(let position, let reason):
                "the event at position \(position) cannot be erased as asked: \(reason)"
            case .erasureRefused(let projector, let position, let reason):
                "nothing was erased: \(reason) (projection \(projector), position \(position))"
            case .inUse(let path):
                "\(path) is open for writing by another process (a running tally serve?); stop it, or go through it with --url"
            default: "\(error)"
            }
        case let error as DataDirectoryError:
            "cannot use the data directory \(error.path): \(String(cString: strerror(error.code))) (\(error.operation))"
                + hint(for: error.code)
        case let error as TallyClientError:
            switch error {
            case .invalidURL(let url): "\(url) is not a server URL; use http://host:port"
            case .unreachable(let url, _): "no answer from \(url); is tally serve running there?"
            case .refused(let problem) where problem.status == 401:
                "\(problem.title): \(problem.detail ?? "") Set --token or TALLY_TOKEN."
            case .refused(let problem): "\(problem.title)\(problem.detail.map { ": \($0)" } ?? "") [\(problem.slug)]"
            case .unexpectedAnswer(let what):
                "the server's answer is not what this tally expects (\(what)); are client and server the same version?"
            }
        case let error as ImportError:
            switch error {
            case .malformed(let reason): "not an exported event: \(reason)"
            case .gap(let expected, let found):
                "the events do not continue the log: it needs position \(expected) next, the input has \(found); import into an empty data directory, or export with --after <its head>"
            case .differs(let position):
                "the log already holds a different event at position \(position); import into an empty data directory"
            case .revisionMismatch(let position, let expected, let actual):
                "the event at position \(position) would get revision \(actual) in its stream, not the exported \(expected): the input is not a whole log"
            case .duplicateID(let position):
                "the event at position \(position) has an id the log already holds at another position"
            }
        case let error as VerificationFailure:
            switch error {
            case .missingEvent(let position):
                "verification failed: the event at position \(position) is missing, though later ones exist (an event was removed)"
            case .leafMismatch(let position):
                "verification failed at position \(position): the event no longer hashes to the leaf stored for it (its content was altered, or events were moved)"
            case .nodeMismatch(let position):
                "verification failed at position \(position): the stored Merkle nodes completed by this leaf are missing or altered"
            case .checkpointMismatch(let pinned, let actual):
                "verification failed: at size \(pinned.size) the log recomputes to root \(actual.root.hex), not the pinned \(pinned.root.hex) (history up to the pinned head was rewritten)"
            case .shorterThanCheckpoint(let size, let pinned):
                "verification failed: the log holds \(size) events, fewer than the pinned tree head's \(pinned.size) (it was truncated)"
            case .unreadable(let line, let reason): "verification failed: line \(line): \(reason)"
            }
        case let error as CheckpointError:
            switch error {
            case .malformedNote(let reason): "not a signed checkpoint: \(reason)"
            case .malformedCheckpoint(let reason): "the signed note is not a checkpoint: \(reason)"
            case .malformedKey(let reason): "not a checkpoint key: \(reason)"
            case .unknownKey(let name):
                "the checkpoint is not signed by the pinned key (its first signature is by \(name.isEmpty ? "no one" : name))"
            case .badSignature(let name):
                "the checkpoint's signature by \(name) does not match its text: it was altered"
            }
        case let error as ProofError:
            "verification failed: the inclusion proof does not lead to the signed root (\(error))"
        case let error as FileError:
            "cannot write \(error.path): \(String(cString: strerror(error.errno)))" + hint(for: error.errno)
        case let error as BackupError:
            switch error {
            case .targetNotEmpty(let directory):
                "\(directory) is not empty; a backup or restore never overwrites: choose an empty directory"
            }
        case let error as LMDBError:
            switch error.kind {
            case .system(errno: EBUSY): "the data directory is already open in this process"
            case .system(let code):
                "cannot use the data directory: \(String(cString: strerror(code))) (\(error.operation))"
            case .incompatible: "the data directory does not hold an LMDB environment this tally can read"
            default: "storage error: \(error)"
            }
        default: "\(error)"
        }
    }
}
