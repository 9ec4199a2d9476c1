import Foundation
import TallyCore
import TallyStore

/// One read model compared with a fresh fold of the log up to the position it reflects.
struct ProjectionCheck {
    let name: String
    let position: UInt64
    let live: ProjectionDigest
    let replayed: ProjectionDigest
    /// Up to ten keys whose values differ or that only one side holds.
    let differingKeys: [String]

    var matches: Bool { live == replayed }

    /// Compares every projection `log` has built with a replay of the log to that projection's
    /// position, in a scratch log (one replay per distinct position).
    static func run(_ log: ReadOnlyLog, progress: (UInt64) -> Void) async throws -> [ProjectionCheck] {
        var live: [(name: String, position: UInt64, digest: ProjectionDigest)] = []
        for projector in Tally.inlineProjectors + Tally.asyncProjectors {
            let state = try log.queryProjection(named: projector.name) { txn, table, position in
                (position, try table.digest(in: txn))
            }
            if let (position, digest) = state { live.append((projector.name, position, digest)) }
        }
        var checks: [ProjectionCheck] = []
        for position in Set(live.map(\.position)).sorted() {
            let replay = try await ReplayedLog(
                of: log, to: position, inlineProjectors: Tally.inlineProjectors, asyncProjectors: Tally.asyncProjectors,
                progress: progress)
            defer { replay.close() }
            for (name, _, digest) in live where live.contains(where: { $0.name == name && $0.position == position }) {
                let replayed = try replay.log.queryProjection(named: name) { txn, table, _ in try table.digest(in: txn)
                }
                guard let replayed else { continue }
                let differing = replayed == digest ? [] : try differences(of: name, in: log, and: replay.log)
                checks.append(
                    ProjectionCheck(
                        name: name, position: position, live: digest, replayed: replayed, differingKeys: differing))
            }
        }
        return checks.sorted { $0.name < $1.name }
    }

    /// Walks both tables in key order, page by page, and names up to ten keys that differ.
    private static func differences(of name: String, in live: ReadOnlyLog, and replay: EventLog) throws -> [String] {
        func page(_ log: some ProjectionReading, after: [UInt8]?) throws -> [(key: [UInt8], value: [UInt8])] {
            try log.queryProjection(named: name) { txn, table, _ in
                try table.scan(prefix: [], after: after, limit: 512, in: txn)
            } ?? []
        }
        var keys: [String] = []
        var left = try page(live, after: nil)[...]
        var right = try page(replay, after: nil)[...]
        while keys.count < 10, !(left.isEmpty && right.isEmpty) {
            let a = left.first
            let b = right.first
            if let a, let b, a.key == b.key {
                if a.value != b.value { keys.append(String(decoding: a.key, as: UTF8.self)) }
                left.removeFirst()
                right.removeFirst()
            } else if let a, b.map({ a.key.lexicographicallyPrecedes($0.key) }) ?? true {
                keys.append(String(decoding: a.key, as: UTF8.self))
                left.removeFirst()
            } else if let b {
                keys.append(String(decoding: b.key, as: UTF8.self))
                right.removeFirst()
            }
            if left.isEmpty, let last = a?.key { left = try page(live, after: last)[...] }
            if right.isEmpty, let last = b?.key { right = try page(replay, after: last)[...] }
        }
        return keys
    }
}

/// Some read models differ from a replay of the log.
struct ProjectionMismatch: Error, CustomStringConvertible {
    let checks: [ProjectionCheck]

    var description: String {
        let names = checks.map { "\($0.name) (keys \($0.differingKeys.joined(separator: ", ")))" }
        return
            "verification failed: these read models differ from a replay of the log: \(names.joined(separator: "; ")); rebuild them (tally projections rebuild <name>)"
    }
}
