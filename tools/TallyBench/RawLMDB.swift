import TallyLMDB

/// What raw LMDB achieved in one measurement: the machine's limit for Tally's workload.
struct RawSample: Sendable {
    /// One `put` per commit; latencies are per commit.
    let single: Sample
    /// ``RawLMDB/eventsPerBatch`` puts per commit; latencies are per commit.
    let batched: Sample
}

/// Writes the workload's payloads straight into LMDB through TallyLMDB, with Tally's durability.
///
/// Each event is one `put` of its payload under an 8-byte big-endian key in one database,
/// which is the least any event store on LMDB must do.
enum RawLMDB {
    /// How many puts one commit of the batched measurement carries.
    static let eventsPerBatch = 100
    /// Commits made, unmeasured, before timing starts.
    static let warmUpCommits = 20

    /// Opens a fresh environment at `path`, measures `singleCommits` one-put commits and then
    /// `batchedEvents` events in commits of ``eventsPerBatch``, and closes the environment.
    ///
    /// Blocks its thread for the whole measurement, as `Environment.write` does.
    /// Each phase stops early, with fewer events, once it has run for `budget`.
    static func measure(
        path: String, mapSize: Int, payloads: [[UInt8]], singleCommits: Int, batchedEvents: Int, budget: Duration
    ) throws -> RawSample {
        var options = Environment.Options()
        options.mapSize = mapSize
        let environment = try Environment(path: path, options: options)
        defer { environment.close() }
        guard let database = try environment.openDatabase("bench") else {
            throw BenchmarkError("LMDB did not create the database")  // only a read-only environment lacks it
        }
        var key: UInt64 = 0
        func nextPayload() -> [UInt8] { payloads[Int(key % UInt64(payloads.count))] }

        for _ in 0..<warmUpCommits {
            key += 1
            try environment.write { txn in try txn.put(nextPayload(), forKey: bigEndianKey(key), in: database) }
        }

        var latencies: [Double] = []
        latencies.reserveCapacity(singleCommits)
        var writtenBefore = writtenBytesSoFar()
        var start = ContinuousClock.now
        var deadline = start + budget
        while latencies.count < singleCommits, ContinuousClock.now < deadline {
            key += 1
            let begun = ContinuousClock.now
            try environment.write { txn in try txn.put(nextPayload(), forKey: bigEndianKey(key), in: database) }
            latencies.append((ContinuousClock.now - begun).seconds)
        }
        let single = Sample(
            events: latencies.count, seconds: (ContinuousClock.now - start).seconds, latencies: Latencies(latencies),
            eventsPerCommit: 1, writtenBytes: written(since: writtenBefore))

        latencies = []
        latencies.reserveCapacity(batchedEvents / eventsPerBatch + 1)
        var eventsWritten = 0
        writtenBefore = writtenBytesSoFar()
        start = ContinuousClock.now
        deadline = start + budget
        while eventsWritten < batchedEvents, ContinuousClock.now < deadline {
            let count = min(eventsPerBatch, batchedEvents - eventsWritten)
            let begun = ContinuousClock.now
            try environment.write { txn in
                for _ in 0..<count {
                    key += 1
                    try txn.put(nextPayload(), forKey: bigEndianKey(key), in: database)
                }
            }
            latencies.append((ContinuousClock.now - begun).seconds)
            eventsWritten += count
        }
        let batched = Sample(
            events: eventsWritten, seconds: (ContinuousClock.now - start).seconds, latencies: Latencies(latencies),
            eventsPerCommit: Double(eventsWritten) / Double(max(latencies.count, 1)),
            writtenBytes: written(since: writtenBefore))
        return RawSample(single: single, batched: batched)
    }
}

/// The eight bytes of `value`, most significant first, so keys sort in numeric order (as Tally's do).
func bigEndianKey(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
