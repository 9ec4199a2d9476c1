import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerProjection
import NIOCore
import Prometheus
import TallyHTTP
import TallyStore
import TallyVerify
import Testing

/// A fresh log with the ledger's projections, a key per role, and the API over them; deleted afterwards.
struct Harness: Sendable {
    let directory: String
    let log: EventLog
    let keys: APIKeyStore
    let api: TallyAPI
    let metrics: HTTPMetrics
    /// A live token for each role.
    let tokens: [Role: String]
    /// The key the API signs checkpoints with (origin `tally.local/test`).
    let signer: CheckpointSigner

    /// Runs `body` with a new harness, its async projections running unless `runsProjections` is
    /// `false` (they then stay at position 0), and removes everything afterwards.
    static func with<R: Sendable>(
        limits: HTTPLimits = .init(), logOptions: EventLog.Options = .init(), logPath: String? = nil,
        runsProjections: Bool = true, _ body: @Sendable (Harness) async throws -> R
    ) async throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-http-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metrics = HTTPMetrics()
        var options = logOptions
        options.metrics = metrics.factory
        let log = try EventLog(
            path: logPath ?? "\(directory)/data", options: options, inlineProjectors: [AccountBalances()],
            asyncProjectors: [AccountStatements(), TrialBalance()])
        defer { log.close() }
        let keys = try APIKeyStore(path: "\(directory)/api-keys.json")
        var tokens: [Role: String] = [:]
        for role in Role.allCases { tokens[role] = try keys.create(name: "\(role)", role: role).token }
        let signer = try CheckpointSigner.generate(name: "tally.local/test")
        let publisher = CheckpointPublisher(
            log: log, origin: "tally.local/test", signer: signer, latestPath: "\(directory)/checkpoint.latest")
        let harness = Harness(
            directory: directory, log: log, keys: keys,
            api: try TallyAPI(log: log, keys: keys, limits: limits, metrics: metrics, checkpoints: publisher),
            metrics: metrics, tokens: tokens, signer: signer)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            if runsProjections {
                group.addTask {
                    try? await log.runProjections()
                    return nil
                }
            }
            defer { group.cancelAll() }
            return try await body(harness)
        }
    }

    /// An application serving the harness's API.
    var app: some ApplicationProtocol { Application(router: api.makeRouter()) }

    /// Runs `body` with a client of the in-process router.
    func client<R: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> R) async throws -> R {
        try await app.test(.router, body)
    }
}

extension TestClientProtocol {
    /// Sends a request as `role` (or with no key), with a JSON body given as text.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, as token: String?, json: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await executeRequest(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    var object: [String: Any] {
        get throws {
            try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
        }
    }

    /// The problem type's slug, after checking the response is `application/problem+json`.
    var problemSlug: String? {
        get throws {
            guard headers[.contentType] == "application/problem+json" else { return nil }
            let type = try #require(try object["type"] as? String)
            return type.hasPrefix(Problem.typeBase) ? String(type.dropFirst(Problem.typeBase.count)) : type
        }
    }
}
