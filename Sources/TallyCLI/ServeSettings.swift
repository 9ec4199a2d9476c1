import ArgumentParser
import Foundation
import Logging
import TallyHTTP
import TallyLMDB
import TallyStore

/// `tally serve`'s settings, each from its flag, else its `TALLY_*` variable, else its default.
struct ServeSettings {
    var dataDirectory: String
    var host: String
    var port: Int
    var maxConnections: Int
    var idleTimeoutSeconds: Int
    var bodyTimeoutSeconds: Int
    /// The LMDB map's size at start, in bytes (it doubles when full, up to `maxMapSize`).
    var mapSize: Int
    /// The largest the map may grow to, in bytes; past it appends are refused with 507.
    var maxMapSize: Int
    var logLevel: Logger.Level
    var limits: HTTPLimits
    /// The signing key file given (`nil`: `<data-dir>/checkpoint-signing.key`, made on first start).
    var signingKeyPath: String?
    /// The checkpoints' origin line (`nil`: the signing key's name).
    var origin: String?
    var checkpointIntervalSeconds: Int
}

extension Tally.Serve {
    /// Resolves every setting, refusing malformed flags and variables alike (exit 64).
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServeSettings {
        let resolver = SettingResolver(environment: environment)
        var limits = HTTPLimits()
        limits.maxBodyBytes = try resolver.integer(
            maxBodyBytes, "--max-body-bytes", "TALLY_MAX_BODY_BYTES", default: limits.maxBodyBytes, in: 1...(64 << 20))
        limits.maxEventsPerAppend = try resolver.integer(
            maxEventsPerAppend, "--max-events-per-append", "TALLY_MAX_EVENTS_PER_APPEND",
            default: limits.maxEventsPerAppend, in: 1...10_000)
        limits.requestTimeout = .seconds(
            try resolver.integer(
                requestTimeout, "--request-timeout", "TALLY_REQUEST_TIMEOUT", default: 30, in: 1...3600))
        let levelName = resolver.text(logLevel, "TALLY_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError(
                "log level must be trace, debug, info, notice, warning, error or critical, not \(levelName).")
        }
        let initialMap = try resolver.integer(
            mapSize, "--map-size", "TALLY_MAP_SIZE", default: EventLog.Options().environment.mapSize,
            in: Self.mapSizes)
        let largestMap = try resolver.integer(
            maxMapSize, "--max-map-size", "TALLY_MAX_MAP_SIZE", default: EventLog.Options().maxMapSize,
            in: Self.mapSizes)
        guard initialMap <= largestMap else {
            throw ValidationError("the map size (\(initialMap)) must not exceed the largest map size (\(largestMap)).")
        }
        return ServeSettings(
            dataDirectory: resolver.text(dataDirectory, "TALLY_DATA_DIR", default: "./tally-data"),
            host: resolver.text(host, "TALLY_HOST", default: "127.0.0.1"),
            port: try resolver.integer(port, "--port", "TALLY_PORT", default: 8080, in: 0...65_535),
            maxConnections: try resolver.integer(
                maxConnections, "--max-connections", "TALLY_MAX_CONNECTIONS", default: 1024, in: 1...1_000_000),
            idleTimeoutSeconds: try resolver.integer(
                idleTimeout, "--idle-timeout", "TALLY_IDLE_TIMEOUT", default: 60, in: 1...86_400),
            bodyTimeoutSeconds: try resolver.integer(
                bodyTimeout, "--body-timeout", "TALLY_BODY_TIMEOUT", default: 30, in: 1...3600),
            mapSize: initialMap, maxMapSize: largestMap,
            logLevel: level, limits: limits,
            signingKeyPath: resolver.optionalText(signingKey, "TALLY_SIGNING_KEY"),
            origin: try resolver.optionalText(origin, "TALLY_ORIGIN").map { origin in
                // It also names a key made here, and key names hold no `+` or white space.
                guard !origin.isEmpty,
                    !origin.unicodeScalars.contains(where: {
                        $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
                    })
                else { throw ValidationError("--origin must be text without spaces or +, such as example.com/ledger.") }
                return origin
            },
            checkpointIntervalSeconds: try resolver.integer(
                checkpointInterval, "--checkpoint-interval", "TALLY_CHECKPOINT_INTERVAL", default: 60, in: 1...86_400))
    }
}

extension Tally.Serve {
    /// The map sizes `serve` accepts: from 1 MiB (LMDB needs a few pages per database) to 1 TiB.
    static let mapSizes = (1 << 20)...(1 << 40)
}

/// Looks a setting up in its flag, then the environment, then its default.
private struct SettingResolver {
    let environment: [String: String]

    func text(_ flag: String?, _ variable: String, default value: String) -> String {
        optionalText(flag, variable) ?? value
    }

    func optionalText(_ flag: String?, _ variable: String) -> String? {
        flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    func integer(_ flag: Int?, _ option: String, _ variable: String, default value: Int, in range: ClosedRange<Int>)
        throws -> Int
    {
        let resolved: Int
        let source: String
        if let flag {
            (resolved, source) = (flag, option)
        } else if let text = environment[variable], !text.isEmpty {
            guard let parsed = Int(text) else {
                throw ValidationError("\(variable) must be a whole number, not \(text).")
            }
            (resolved, source) = (parsed, variable)
        } else {
            return value
        }
        guard range.contains(resolved) else {
            throw ValidationError(
                "\(source) must be between \(range.lowerBound) and \(range.upperBound), not \(resolved).")
        }
        return resolved
    }
}
