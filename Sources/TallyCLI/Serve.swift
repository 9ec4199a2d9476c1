import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import LedgerProjection
import Logging
import Metrics
import ServiceLifecycle
import TallyHTTP
import TallyLMDB
import TallyStore
import TallyVerify

extension Tally {
    /// Serves the `/v1` HTTP API over the log in the data directory.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the /v1 HTTP API and keep the projections current.",
            discussion: """
                Every option but --unsafe-no-sync can also be set with an environment variable
                (shown in brackets); a flag wins over the variable, the variable over the default.

                On first start in an empty data directory, an admin API key is created, printed
                once on stderr and written to <data-dir>/admin.key (mode 0600).

                Checkpoints: the server signs the log's tree head (a C2SP signed note,
                Ed25519) every --checkpoint-interval seconds when the log grew, and on
                POST /v1/checkpoints; it keeps every one in the log and writes the latest
                to <data-dir>/checkpoint.latest. Without --signing-key a key is made on
                first start in <data-dir>/checkpoint-signing.key (mode 0600); its public
                verifier key, which auditors pin, is in <data-dir>/checkpoint-verifier.key.
                SIGTERM or SIGINT drains in-flight requests and commits, then exits.

                Examples:
                  tally serve
                  tally serve --data-dir /var/lib/tally --host 0.0.0.0 --port 9000
                  TALLY_LOG_LEVEL=debug tally serve
                  tally serve --origin example.com/ledger --checkpoint-interval 300
                """)

        @Option(
            name: .customLong("data-dir"),
            help: "Directory holding the LMDB environment [TALLY_DATA_DIR] (default: ./tally-data).")
        var dataDirectory: String?
        @Option(help: "Interface to bind [TALLY_HOST] (default: 127.0.0.1).")
        var host: String?
        @Option(help: "TCP port to bind, 0 for any free port [TALLY_PORT] (default: 8080).")
        var port: Int?
        @Option(help: "Largest request body in bytes [TALLY_MAX_BODY_BYTES] (default: 1048576).")
        var maxBodyBytes: Int?
        @Option(help: "Most events in one append [TALLY_MAX_EVENTS_PER_APPEND] (default: 1000).")
        var maxEventsPerAppend: Int?
        @Option(help: "Most open connections [TALLY_MAX_CONNECTIONS] (default: 1024).")
        var maxConnections: Int?
        @Option(help: "Seconds a connection may sit idle before it is closed [TALLY_IDLE_TIMEOUT] (default: 60).")
        var idleTimeout: Int?
        @Option(help: "Seconds a request's handler may run before a 503 [TALLY_REQUEST_TIMEOUT] (default: 30).")
        var requestTimeout: Int?
        @Option(
            help:
                "Seconds a client may take to send a request body before its connection is closed [TALLY_BODY_TIMEOUT] (default: 30)."
        )
        var bodyTimeout: Int?
        @Option(
            help:
                "The LMDB map's size at start, in bytes; it doubles when full [TALLY_MAP_SIZE] (default: 1073741824)."
        )
        var mapSize: Int?
        @Option(
            help:
                "The largest the map may grow to, in bytes; beyond it appends are answered 507 [TALLY_MAX_MAP_SIZE] (default: 1099511627776)."
        )
        var maxMapSize: Int?
        @Option(
            help: "Log level: trace, debug, info, notice, warning, error, critical [TALLY_LOG_LEVEL] (default: info).")
        var logLevel: String?
        @Option(
            help: ArgumentHelp(
                "File holding the checkpoint signing key [TALLY_SIGNING_KEY] (default: <data-dir>/checkpoint-signing.key, made on first start).",
                valueName: "file"))
        var signingKey: String?
        @Option(
            help:
                "The checkpoints' origin line, the log's name [TALLY_ORIGIN] (default: the signing key's name, tally.local/<16 hex digits of its public key> for a key made here)."
        )
        var origin: String?
        @Option(
            help: "Seconds between checkpoints, signed when the log grew [TALLY_CHECKPOINT_INTERVAL] (default: 60).")
        var checkpointInterval: Int?
        // A flag only, never a variable: an inherited environment must not turn durability off.
        @Flag(
            name: .customLong("unsafe-no-sync"),
            help:
                "UNSAFE, for tests and benchmarks only: commits do not wait for the disk (LMDB's MDB_NOSYNC), so a power loss or kernel crash loses or corrupts acknowledged events."
        )
        var unsafeNoSync = false

        func validate() throws {
            let settings = try settings()
            // A key file given but unusable is a usage error, found before anything starts.
            if let path = settings.signingKeyPath { _ = try Self.loadSigner(path) }
        }

        func run() async throws {
            try await Tally.reportingFailure {
                let settings = try settings()
                LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: settings.logLevel) }
                let logger = Logger(label: "tally")
                let metrics = HTTPMetrics()
                MetricsSystem.bootstrap(metrics.factory)

                if unsafeNoSync {
                    logger.warning(
                        "UNSAFE: --unsafe-no-sync: commits do not wait for the disk; a power loss or kernel crash loses acknowledged events"
                    )
                }
                let log = try Tally.openLog(
                    in: settings.dataDirectory, mapSize: settings.mapSize, maxMapSize: settings.maxMapSize,
                    metrics: metrics.factory, logger: logger, durability: unsafeNoSync ? .unsafeNoSync : .durable)
                defer { log.close() }
                let keys = try APIKeyStore(path: "\(settings.dataDirectory)/api-keys.json")
                if keys.isEmpty { try createFirstAdminKey(in: keys, dataDirectory: settings.dataDirectory) }

                let signer = try checkpointSigner(settings)
                let publisher = CheckpointPublisher(
                    log: log, origin: settings.origin ?? signer.name, signer: signer,
                    latestPath: "\(settings.dataDirectory)/checkpoint.latest")
                try publishVerifierKey(signer.verifier.keyString, dataDirectory: settings.dataDirectory)
                let api = try TallyAPI(
                    log: log, keys: keys, limits: settings.limits, metrics: metrics, checkpoints: publisher)
                let app = Application(
                    router: api.makeRouter(),
                    server: .http1(
                        configuration: .init(
                            additionalChannelHandlers: [
                                RequestBodyTimeout(timeout: .seconds(settings.bodyTimeoutSeconds))
                            ],
                            idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)))),
                    configuration: .init(
                        address: .hostname(settings.host, port: settings.port), serverName: "tally",
                        availableConnectionsDelegate: MaximumAvailableConnections(
                            settings.maxConnections, logger: logger)),
                    services: [
                        ProjectionRunner(log: log, retryDelay: .seconds(1), logger: logger),
                        CheckpointRunner(
                            publisher: publisher, interval: .seconds(settings.checkpointIntervalSeconds),
                            logger: logger),
                    ],
                    onServerRunning: { channel in
                        logger.notice(
                            "Serving the /v1 API",
                            metadata: ["http.address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                    },
                    logger: logger)
                try await app.runService()
                logger.notice("Stopped serving; closing the log")
            }
        }

        /// The checkpoint signing key: from `--signing-key`, else `<data-dir>/checkpoint-signing.key`,
        /// made (mode 0600) on first start and named `--origin` or `tally.local/<its public key>`.
        private func checkpointSigner(_ settings: ServeSettings) throws -> CheckpointSigner {
            let path = settings.signingKeyPath ?? "\(settings.dataDirectory)/checkpoint-signing.key"
            if settings.signingKeyPath != nil || FileManager.default.fileExists(atPath: path) {
                return try Self.loadSigner(path)
            }
            var signer = try CheckpointSigner.generate(name: "tally.local/new")
            signer = try signer.renamed(
                settings.origin ?? "tally.local/\(Array(signer.verifier.publicKey.prefix(8)).hex)")
            try writeSecretFile(Array("\(signer.keyString)\n".utf8), to: path)
            FileHandle.standardError.write(
                Data(
                    "tally: created a checkpoint signing key in \(path) (mode 0600); auditors pin its verifier key: \(signer.verifier.keyString)\n"
                        .utf8))
            return signer
        }

        /// The signing key in the file at `path`.
        ///
        /// - Throws: `ValidationError` (exit 64) if it cannot be read or holds no signing key.
        private static func loadSigner(_ path: String) throws -> CheckpointSigner {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the checkpoint signing key file \(path).")
            }
            do {
                return try CheckpointSigner(parsing: String(decoding: data, as: UTF8.self))
            } catch {
                throw ValidationError("\(path) does not hold a checkpoint signing key (PRIVATE+KEY+<name>+<id>+<key>).")
            }
        }

        /// Writes the public key auditors pin to `checkpoint-verifier.key` (0644), unless the file
        /// already holds it: a restart on a full disk must not fail on a file it would not change.
        private func publishVerifierKey(_ key: String, dataDirectory: String) throws {
            let path = "\(dataDirectory)/checkpoint-verifier.key"
            let bytes = Array("\(key)\n".utf8)
            guard FileManager.default.contents(atPath: path) != Data(bytes) else { return }
            try writeFileAtomically(bytes, to: path, mode: 0o644)
        }

        /// Makes the first admin key, writes its token to `admin.key` (0600) and prints it once.
        private func createFirstAdminKey(in keys: APIKeyStore, dataDirectory: String) throws {
            let (key, token) = try keys.create(name: "initial admin", role: .admin)
            let path = "\(dataDirectory)/admin.key"
            try writeSecretFile(Array("\(token)\n".utf8), to: path)
            FileHandle.standardError.write(
                Data(
                    """
                    tally: created the first admin API key (id \(key.id)):
                      \(token)
                    It is stored in \(path) (mode 0600) and will not be shown again.
                    Use it as: Authorization: Bearer <key>

                    """.utf8))
        }
    }
}

/// Signs a checkpoint every `interval` when the log grew, for as long as the server runs.
struct CheckpointRunner: Service {
    let publisher: CheckpointPublisher
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // One at start (a restarted server signs what it already holds), then one per interval.
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    let (checkpoint, isNew) = try await publisher.publish()
                    if isNew { logger.info("Signed a checkpoint", metadata: ["checkpoint.size": "\(checkpoint.size)"]) }
                } catch is CancellationError {
                    return
                } catch EventLogError.closed {
                    return
                } catch {
                    logger.error("Cannot sign a checkpoint", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// Keeps the async projections current for as long as the server runs.
///
/// A step that fails (a full disk, every LMDB reader slot taken) pauses the projections, not the
/// server: the runner logs it and tries again after `retryDelay`. A service that returned would
/// make the service group stop the whole server.
struct ProjectionRunner: Service {
    let log: EventLog
    let retryDelay: Duration
    let logger: Logger

    func run() async throws {
        // Cancelled between steps on graceful shutdown; a step in the writer finishes first.
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    return try await log.runProjections()
                } catch is CancellationError {
                    return
                } catch EventLogError.closed {
                    return
                } catch {
                    logger.warning(
                        "Projections paused; retrying", metadata: ["error": "\(error)", "retry.delay": "\(retryDelay)"])
                    try await Task.sleep(for: retryDelay)
                }
            }
        }
    }
}
