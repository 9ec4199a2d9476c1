import Foundation
import TallyStore
import TallyVerify

/// Measures Tally's durable appends, reads and subscriptions against raw LMDB on the same disk.
///
/// Run it as `swift run -c release tally-bench [--runs N] [--events N] [--quick]`. Each run
/// measures raw LMDB, then every Tally figure, then raw LMDB again, each in a fresh directory,
/// so Tally is compared with the machine's limit as it was at that moment: the disk's sync
/// latency drifts by itself, and ratios taken within one run are what stay comparable.
@main
struct TallyBench {
    static func main() async {
        let configuration: Configuration
        do {
            configuration = try Configuration(arguments: Array(CommandLine.arguments.dropFirst()))
        } catch {
            standardError("tally-bench: \(error)\n\n\(Configuration.usage)\n")
            exit(64)  // EX_USAGE
        }
        if configuration.showHelp {
            print(Configuration.usage)
            return
        }
        do {
            try await Benchmark(configuration: configuration).run()
        } catch {
            standardError("tally-bench: \(error)\n")
            exit(70)  // EX_SOFTWARE
        }
    }
}

/// What to measure, from the command line.
struct Configuration: Sendable {
    static let usage = """
        usage: tally-bench [--runs N] [--events N] [--rebuild-events N] [--quick] [--log-only]
                           [--commands-only] [--rebuild-only] [--verify-only [--verify-events N]]

          --runs N     measure every figure N times and report the median and spread (default 3)
          --events N   the size of the log for batched appends and reads (default 100000)
          --rebuild-events N
                       the size of the ledger log whose read models figure 6 rebuilds (default 1000000)
          --quick      a smoke test: 5000 events, 20000 to rebuild, 1 run, short time budgets
          --log-only   measure only the event log's figures (1-4) and raw LMDB, not the ledger's (5, 6)
          --commands-only
                       measure only figure 5 (ledger commands in process), for tools/http-bench.sh
          --rebuild-only
                       measure only figure 6 (the rebuild of the ledger read models), also per CPU second
          --verify-only
                       measure only the auditor's figures: tally verify's work over the whole log,
                       and inclusion and consistency proofs made and checked
          --verify-events N
                       the size of the log those figures use (default 1000000; 20000 with --quick)
        """

    /// How many times every figure is measured.
    var runs = 3
    /// The events appended in batches, and so the size of the log the reads use.
    var events = 100_000
    /// The ledger events figure 6 rebuilds the read models from.
    var rebuildEvents = 1_000_000
    /// Whether this is a smoke test with short time budgets.
    var quick = false
    /// Whether to measure only the ledger command figures.
    var commandsOnly = false
    /// Whether to measure only the rebuild of the ledger read models.
    var rebuildOnly = false
    /// Whether to measure only the verification and proof figures.
    var verifyOnly = false
    /// Whether to measure only the event log's figures (1–4) and raw LMDB, without the ledger's.
    var logOnly = false
    /// The size of the log the verification figures use.
    var verifyEvents = 1_000_000
    /// Whether to print the usage and stop.
    var showHelp = false

    /// The concurrent appenders figure 1 is measured with.
    let appenderCounts = [1, 16, 64, 256]
    /// The concurrent appenders of figure 2.
    let batchAppenders = 4
    /// The events in each append of figure 2.
    let eventsPerRequest = 100
    /// Fresh logs start with this many single appends, unmeasured.
    let warmUpEvents = 20
    /// The memory map of every environment: large enough that no measurement grows it.
    let mapSize = 4 << 30

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``BenchmarkError`` for an unknown option or a missing or invalid number.
    init(arguments: [String]) throws {
        var runs: Int?
        var events: Int?
        var rebuildEvents: Int?
        var verifyEvents: Int?
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--runs": runs = try Self.positive(remaining.popFirst(), for: argument)
            case "--events": events = try Self.positive(remaining.popFirst(), for: argument)
            case "--rebuild-events": rebuildEvents = try Self.positive(remaining.popFirst(), for: argument)
            case "--quick": quick = true
            case "--commands-only": commandsOnly = true
            case "--rebuild-only": rebuildOnly = true
            case "--verify-only": verifyOnly = true
            case "--log-only": logOnly = true
            case "--verify-events": verifyEvents = try Self.positive(remaining.popFirst(), for: argument)
            case "--help", "-h": showHelp = true
            default: throw BenchmarkError("unknown argument '\(argument)'")
            }
        }
        if quick {
            self.runs = 1
            self.events = 5_000
            self.rebuildEvents = 20_000
            self.verifyEvents = 20_000
        }
        // Explicit numbers win over --quick's, wherever they appear.
        if let runs { self.runs = runs }
        if let events { self.events = events }
        if let rebuildEvents { self.rebuildEvents = rebuildEvents }
        if let verifyEvents { self.verifyEvents = verifyEvents }
    }

    private static func positive(_ text: String?, for option: String) throws -> Int {
        guard let text, let value = Int(text), value > 0 else {
            throw BenchmarkError("\(option) needs a positive whole number")
        }
        return value
    }

    /// How many single-event appends figure 1 measures with `appenders` appenders: each append
    /// waits for its own commit, so fewer appenders need fewer events to take the same time.
    func singleAppendEvents(appenders: Int) -> Int {
        let divisor =
            switch appenders {
            case ...1: 50
            case ...16: 10
            case ...64: 4
            default: 2
            }
        return min(max(events / divisor, 100), events)
    }

    /// The most one append measurement, or one raw LMDB phase, may run before it stops early.
    var appendBudget: Duration { quick ? .seconds(2) : .seconds(5) }
    /// Each read figure repeats its pass until at least this much time has passed.
    var readDuration: Duration { quick ? .milliseconds(200) : .seconds(1) }
}

/// A failure of the benchmark itself: bad arguments, or a read that did not see what was written.
struct BenchmarkError: Error, CustomStringConvertible {
    /// What went wrong.
    let description: String

    /// An error saying `description`.
    init(_ description: String) { self.description = description }
}

/// Writes `text` to standard error, unbuffered, so progress shows while a figure runs.
func standardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// One whole benchmark: the runs, then the report.
struct Benchmark {
    let configuration: Configuration

    /// Measures every figure `configuration.runs` times, then prints the table and the JSON lines.
    func run() async throws {
        if configuration.verifyOnly {
            let scratch = try ScratchDirectory(prefix: "tally-bench-verify")
            defer { scratch.remove() }
            let start = ContinuousClock.now
            let log = try await VerifyFigures.fill(
                scratch.child("log"), count: configuration.verifyEvents, mapSize: configuration.mapSize)
            defer { log.close() }
            standardError(
                "tally-bench: appended \(grouped(Double(configuration.verifyEvents))) events in "
                    + "\(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s\n")
            var report = Report()
            for run in 1...configuration.runs {
                try VerifyFigures.measure(log, budget: configuration.readDuration, run: run, into: &report)
            }
            report.addTarget(
                "tally verify ≥ 1,000,000 events/s", values: report.samples("verify").map(\.eventsPerSecond),
                atLeast: true, limit: 1_000_000, unit: " ev/s")
            print(report.table())
            for line in report.jsonLines(runs: configuration.runs) { print(line) }
            return
        }
        if configuration.commandsOnly {
            let report = try await measureAlone { context, report in try await context.measureCommands(into: &report) }
            print(report.table())
            for line in report.jsonLines(runs: configuration.runs) { print(line) }
            return
        }
        if configuration.rebuildOnly {
            var report = try await measureAlone { context, report in try await context.measureRebuild(into: &report) }
            addRebuildTarget(to: &report)
            print(report.table())
            for line in report.jsonLines(runs: configuration.runs) { print(line) }
            return
        }
        let setupStart = ContinuousClock.now
        let workload = try Workload(
            count: configuration.events, warmUpCount: configuration.warmUpEvents, seed: 0x7A11_BE9C)
        let singleRequests = try workload.events.map {
            try AppendRequest(stream: $0.stream, expected: .any, events: [$0])
        }
        let batchRequests = try stride(from: 0, to: workload.events.count, by: configuration.eventsPerRequest).map {
            try AppendRequest(
                events: Array(workload.events[$0..<min($0 + configuration.eventsPerRequest, workload.events.count)]))
        }
        // The same events grouped by stream: each append writes 100 events to one stream.
        let streamBatchRequests = try Dictionary(grouping: workload.events, by: \.stream).values
            .flatMap { events in
                stride(from: 0, to: events.count, by: configuration.eventsPerRequest).map {
                    Array(events[$0..<min($0 + configuration.eventsPerRequest, events.count)])
                }
            }
            .sorted { $0[0].stream < $1[0].stream }
            .map { try AppendRequest(events: $0) }
        let filteredCount = workload.events.count { $0.type == Workload.filteredType }
        standardError(
            "tally-bench: built \(grouped(Double(workload.events.count))) events in "
                + "\(String(format: "%.1f", (ContinuousClock.now - setupStart).seconds)) s\n")

        var report = Report()
        for run in 1...configuration.runs {
            let scratch = try ScratchDirectory(prefix: "tally-bench")
            defer { scratch.remove() }
            let context = RunContext(
                configuration: configuration, workload: workload, scratch: scratch, run: run)
            try context.measureRaw(into: &report, phase: "before")
            for appenders in configuration.appenderCounts {
                let requests = Array(singleRequests.prefix(configuration.singleAppendEvents(appenders: appenders)))
                try await context.measureSingleAppends(requests, appenders: appenders, into: &report)
            }
            try await context.measureBatchedAppendsAndReads(
                batchRequests, filteredCount: filteredCount, into: &report)
            try await context.measureStreamBatches(streamBatchRequests, into: &report)
            if !configuration.logOnly {
                try await context.measureCommands(into: &report)
                try await context.measureRebuild(into: &report)
            }
            try context.measureRaw(into: &report, phase: "after")
        }
        addRatiosAndTargets(to: &report)
        print(header(workload: workload))
        print(report.table())
        print("")
        for line in report.jsonLines(runs: configuration.runs) { print(line) }
    }

    private func header(workload: Workload) -> String {
        let payload = workload.events.first?.data.count ?? 0
        return """
            Tally benchmark: \(configuration.runs) run(s), durable commits (EventLog.Options() default: fsync \
            per commit), \(grouped(Double(workload.events.count))) events over \(Workload.streamCount) streams, \
            \(payload)-byte JSON payloads, no tags.
            Each run, in a fresh temp directory: raw LMDB (before) -> Tally figures 1-4 -> raw LMDB (after).
            Figure 1: single-event appends (expected: .any) from N concurrent tasks, events spread over all streams; \
            p50/p99 per append.
            Figure 2: \(configuration.batchAppenders) concurrent appenders, each append one AppendRequest of \
            \(configuration.eventsPerRequest) events (over \(configuration.eventsPerRequest) streams); \
            p50/p99 per request. Its log is then read by figures 3 and 4. Figure 2b: the same events grouped \
            by stream, so each append writes \(configuration.eventsPerRequest) events to one stream.
            Figure 5: ledger commands through the writer (deciding from the inline balances read model) over \
            \(CommandFigures.accountCount) funded accounts, for the append budget; a transfer appends 2 events.
            Figure 6: a ledger log of \(grouped(Double(configuration.rebuildEvents))) events (1,000 accounts opened, \
            then deposits, withdrawals and transfers) reopened with new versions of all three read models: time \
            from open (the inline balances rebuild there) until both async ones have caught up.
            Figure 3: reads in pages, touching each event's data and type; the stream figure reads every stream \
            in turn through readStream (pages of 100); the filtered figure selects type \
            "\(Workload.filteredType)" (~1/10 of events).
            Figure 4: one subscription from position 1, touching each event like figure 3, until it has seen the log.
            Raw LMDB: one put per event (~\(payload)-byte value, 8-byte big-endian key); p50/p99 per commit.
            Columns: events/run = events measured per run (reads: over all passes of at least \
            \(configuration.readDuration) each); ev/commit for Tally = events / distinct recordedAt stamps (one \
            stamp per group commit); ms/commit = measured time / commits; KB/commit = bytes passed to write() \
            (/proc/self/io wchar) / commits, i.e. the pages each commit writes and syncs. Every fresh environment \
            gets \(configuration.warmUpEvents) unmeasured commits first.

            """
    }

    /// Measures one figure that needs no appended workload `configuration.runs` times, each run
    /// in a fresh scratch directory.
    private func measureAlone(
        _ measure: (RunContext, inout Report) async throws -> Void
    ) async throws -> Report {
        var report = Report()
        for run in 1...configuration.runs {
            let scratch = try ScratchDirectory(prefix: "tally-bench")
            defer { scratch.remove() }
            let workload = try Workload(count: 1, warmUpCount: 0, seed: 1)
            try await measure(
                RunContext(configuration: configuration, workload: workload, scratch: scratch, run: run), &report)
        }
        return report
    }

    /// Issue 3's rebuild target, judged on figure 6.
    private func addRebuildTarget(to report: inout Report) {
        report.addTarget(
            "fig 6 rebuild of the three ledger read models >= 300,000 events/s",
            values: report.samples("rebuild-ledger-read-models").map(\.eventsPerSecond), atLeast: true,
            limit: 300_000, unit: " ev/s")
    }

    /// Divides Tally's figures by raw LMDB's (the mean of the before and after measurement of the
    /// same run), and judges the targets.
    private func addRatiosAndTargets(to report: inout Report) {
        let runs = configuration.runs
        // One value per run.
        func raw(_ name: String, _ metric: (Sample) -> Double) -> [Double] {
            let before = report.samples("raw-lmdb-\(name)-before")
            let after = report.samples("raw-lmdb-\(name)-after")
            return zip(before, after).map { (metric($0) + metric($1)) / 2 }
        }
        let raw100 = raw("100-per-commit", \.eventsPerSecond)
        let raw1 = raw("1-per-commit", \.eventsPerSecond)
        let raw1Latency = raw("1-per-commit") { $0.latencies?.p50 ?? .nan }
        for appenders in configuration.appenderCounts {
            let tally = report.samples("append-single-\(appenders)")
            report.addRatio(
                id: "append-single-\(appenders)/raw-lmdb-100-per-commit",
                label: "fig 1, \(appenders) appender(s), ev/s / raw 100 ev/commit ev/s", runs: runs
            ) { tally[$0].eventsPerSecond / raw100[$0] }
        }
        let single1 = report.samples("append-single-1")
        report.addRatio(
            id: "append-single-1/raw-lmdb-1-per-commit", label: "fig 1, 1 appender, ev/s / raw 1 ev/commit ev/s",
            runs: runs
        ) { single1[$0].eventsPerSecond / raw1[$0] }
        report.addRatio(
            id: "append-single-1.p50/raw-lmdb-1-per-commit.p50",
            label: "fig 1, 1 appender, p50 per append / raw 1 ev/commit p50 per commit", runs: runs
        ) { (single1[$0].latencies?.p50 ?? .nan) / raw1Latency[$0] }
        for (id, label) in [
            ("append-batch-100", "fig 2, 100-event appends"),
            ("append-batch-100-one-stream", "fig 2b, 100-event appends to one stream"),
        ] {
            let batched = report.samples(id)
            report.addRatio(
                id: "\(id)/raw-lmdb-100-per-commit", label: "\(label), ev/s / raw 100 ev/commit ev/s", runs: runs
            ) { batched[$0].eventsPerSecond / raw100[$0] }
        }

        if !configuration.logOnly { addCommandRatios(to: &report) }
        let ratios = Dictionary(uniqueKeysWithValues: report.ratios.map { ($0.id, $0.values) })
        let single256 = ratios["append-single-256/raw-lmdb-100-per-commit"] ?? [.nan]
        let batch100 = ratios["append-batch-100/raw-lmdb-100-per-commit"] ?? [.nan]
        let latency1 = ratios["append-single-1.p50/raw-lmdb-1-per-commit.p50"] ?? [.nan]
        let wholeLog = report.samples("read-log").map(\.eventsPerSecond)
        report.addTarget(
            "fig 1 @256 appenders >= 0.25x raw LMDB @100 ev/commit", values: single256, atLeast: true, limit: 0.25,
            unit: "x")
        report.addTarget(
            "fig 2 (100-event appends) >= 0.5x raw LMDB @100 ev/commit", values: batch100, atLeast: true, limit: 0.5,
            unit: "x")
        report.addTarget(
            "fig 3 whole-log decoded read >= 2,000,000 events/s", values: wholeLog, atLeast: true, limit: 2_000_000,
            unit: " ev/s")
        report.addTarget(
            "fig 1 @1 appender p50 <= 1.5x raw LMDB 1 ev/commit p50", values: latency1, atLeast: false, limit: 1.5,
            unit: "x")
    }

    /// Divides figure 5's command rates by figure 1's append rate at 256 appenders of the same
    /// run, and judges issue 3's targets.
    private func addCommandRatios(to report: inout Report) {
        let runs = configuration.runs
        let appends256 = report.samples("append-single-256")
        for (kind, callers) in [("deposit", 64), ("deposit", 256), ("transfer", 256)] {
            let commands = report.samples("command-\(kind)-\(callers)")
            report.addRatio(
                id: "command-\(kind)-\(callers)/append-single-256",
                label: "fig 5, \(kind) commands @\(callers), commands/s / fig 1 @256 appends/s", runs: runs
            ) { commands[$0].eventsPerSecond / appends256[$0].eventsPerSecond }
        }

        let ratios = Dictionary(uniqueKeysWithValues: report.ratios.map { ($0.id, $0.values) })
        report.addTarget(
            "fig 5 deposits @256 >= 0.5x fig 1 @256 (log's own append rate)",
            values: ratios["command-deposit-256/append-single-256"] ?? [.nan], atLeast: true, limit: 0.5, unit: "x")
        report.addTarget(
            "fig 5 transfers @256 >= 0.25x fig 1 @256 (log's own append rate)",
            values: ratios["command-transfer-256/append-single-256"] ?? [.nan], atLeast: true, limit: 0.25, unit: "x")
        addRebuildTarget(to: &report)
    }
}

/// One run's measurements, each in its own fresh directory under the run's scratch directory.
struct RunContext {
    let configuration: Configuration
    let workload: Workload
    let scratch: ScratchDirectory
    let run: Int

    /// Measures raw LMDB at 1 and at 100 events per commit, and records both as `phase`.
    func measureRaw(into report: inout Report, phase: String) throws {
        let name = "raw-\(phase)"
        let began = ContinuousClock.now
        defer { scratch.remove(name) }
        let sample = try RawLMDB.measure(
            path: scratch.child(name), mapSize: configuration.mapSize, payloads: workload.events.map(\.data),
            singleCommits: configuration.singleAppendEvents(appenders: 1), batchedEvents: configuration.events,
            budget: configuration.appendBudget)
        report.record(
            sample.single, id: "raw-lmdb-1-per-commit-\(phase)", label: "raw LMDB, 1 event/commit (\(phase))",
            details: [("phase", .string(phase))])
        report.record(
            sample.batched, id: "raw-lmdb-100-per-commit-\(phase)",
            label: "raw LMDB, \(RawLMDB.eventsPerBatch) events/commit (\(phase))",
            details: [("phase", .string(phase))])
        progress(
            "raw LMDB \(phase): \(sample.single.summary); \(sample.batched.summary)", since: began)
    }

    /// Figure 1: `requests` (one event each) from `appenders` concurrent tasks, into a fresh log.
    func measureSingleAppends(_ requests: [AppendRequest], appenders: Int, into report: inout Report) async throws {
        let began = ContinuousClock.now
        let sample = try await withFreshLog("append-single-\(appenders)") { log in
            var sample = try await TallyFigures.append(
                requests, to: log, appenders: appenders, budget: configuration.appendBudget)
            sample.eventsPerCommit = try TallyFigures.eventsPerCommit(
                in: log, from: UInt64(configuration.warmUpEvents + 1))
            return sample
        }
        report.record(
            sample, id: "append-single-\(appenders)", label: "fig 1: single-event appends, \(appenders) appender(s)",
            details: [("appenders", .integer(appenders)), ("events_per_append", .integer(1))])
        progress("fig 1, \(appenders) appender(s): \(sample.summary)", since: began)
    }

    /// Figure 5: ledger commands (deposits from 64 and 256 callers, transfers from 256) into a fresh
    /// log with the balances read model inline, over 1,000 funded accounts.
    func measureCommands(into report: inout Report) async throws {
        let began = ContinuousClock.now
        let name = "commands"
        defer { scratch.remove(name) }
        let (log, balances) = try await CommandFigures.openLedger(
            at: scratch.child(name), mapSize: configuration.mapSize)
        defer { log.close() }
        for (kind, callers) in [(CommandFigures.Kind.deposit, 64), (.deposit, 256), (.transfer, 256)] {
            let sample = try await CommandFigures.run(
                kind, callers: callers, budget: configuration.appendBudget, log: log, balances: balances)
            report.record(
                sample, id: "command-\(kind.rawValue)-\(callers)",
                label: "fig 5: \(kind.rawValue) commands, \(callers) callers",
                details: [("callers", .integer(callers))])
        }
        progress("fig 5: commands", since: began)
    }

    /// Figure 6: rebuilding the three ledger read models from a log of `rebuildEvents` ledger events.
    func measureRebuild(into report: inout Report) async throws {
        let began = ContinuousClock.now
        let name = "rebuild"
        defer { scratch.remove(name) }
        let (sample, cpu) = try await CommandFigures.rebuild(
            events: configuration.rebuildEvents, at: scratch.child(name), mapSize: configuration.mapSize)
        report.record(
            sample, id: "rebuild-ledger-read-models",
            label: "fig 6: rebuild balances + statements + trial balance (log events/s)",
            details: [("log_events", .integer(configuration.rebuildEvents))])
        report.record(
            cpu, id: "rebuild-ledger-read-models-cpu",
            label: "fig 6 per CPU second (user + system, all threads)",
            details: [("log_events", .integer(configuration.rebuildEvents))])
        progress("fig 6: \(grouped(sample.eventsPerSecond)) ev/s", since: began)
    }

    /// Figure 2b: appends of 100 events to one stream each, into a fresh log.
    func measureStreamBatches(_ requests: [AppendRequest], into report: inout Report) async throws {
        let began = ContinuousClock.now
        try await withFreshLog("append-stream-batch") { log in
            let sample = try await appendBatches(
                requests, to: log, id: "append-batch-100-one-stream",
                label: "fig 2b: \(configuration.eventsPerRequest)-event appends to one stream, "
                    + "\(configuration.batchAppenders) appenders", into: &report)
            progress("fig 2b: \(sample.summary)", since: began)
        }
    }

    /// Appends `requests` (no time budget) from the figure-2 appenders and records the sample as `id`.
    private func appendBatches(
        _ requests: [AppendRequest], to log: EventLog, id: String, label: String, into report: inout Report
    ) async throws -> Sample {
        var sample = try await TallyFigures.append(
            requests, to: log, appenders: configuration.batchAppenders, budget: .seconds(86_400))
        sample.eventsPerCommit = try TallyFigures.eventsPerCommit(in: log, from: UInt64(configuration.warmUpEvents + 1))
        report.record(
            sample, id: id, label: label,
            details: [
                ("appenders", .integer(configuration.batchAppenders)),
                ("events_per_append", .integer(configuration.eventsPerRequest)),
            ])
        return sample
    }

    /// Figure 2 into a fresh log, then figures 3 and 4 reading that log.
    func measureBatchedAppendsAndReads(
        _ requests: [AppendRequest], filteredCount: Int, into report: inout Report
    ) async throws {
        var began = ContinuousClock.now
        try await withFreshLog("append-batch") { log in
            // No time budget: the reads need the whole log.
            let sample = try await appendBatches(
                requests, to: log, id: "append-batch-100",
                label:
                    "fig 2: \(configuration.eventsPerRequest)-event appends, \(configuration.batchAppenders) appenders",
                into: &report)
            progress("fig 2: \(sample.summary)", since: began)

            began = ContinuousClock.now
            let head = Int(try log.treeHead().size)
            let streams = try TallyFigures.streams(prefix: Workload.streamPrefix, in: log)
            let minimum = configuration.readDuration
            let whole = try await TallyFigures.repeatedly(atLeast: minimum, expected: head) {
                try TallyFigures.readLog(log)
            }
            report.record(
                whole, id: "read-log", label: "fig 3: read whole log forward (pages of 1000)",
                details: [("log_events", .integer(head)), ("page", .integer(1000))])
            let byStream = try await TallyFigures.repeatedly(atLeast: minimum, expected: head) {
                try TallyFigures.readStreams(streams, in: log)
            }
            report.record(
                byStream, id: "read-streams", label: "fig 3: readStream, all \(streams.count) streams in turn",
                details: [
                    ("log_events", .integer(head)), ("streams", .integer(streams.count)), ("page", .integer(100)),
                ])
            let filter = EventFilter(types: [Workload.filteredType])
            let filtered = try await TallyFigures.repeatedly(atLeast: minimum, expected: filteredCount) {
                try TallyFigures.readLog(log, filter: filter)
            }
            report.record(
                filtered, id: "read-type-filtered", label: "fig 3: read filtered by type (~1/10; matches/s)",
                details: [
                    ("log_events", .integer(head)), ("matches_per_pass", .integer(filteredCount)),
                    ("page", .integer(1000)),
                ])
            progress(
                "fig 3: \(grouped(whole.eventsPerSecond)) ev/s whole log, \(grouped(byStream.eventsPerSecond)) ev/s "
                    + "by stream, \(grouped(filtered.eventsPerSecond)) ev/s filtered", since: began)

            began = ContinuousClock.now
            let subscription = try await TallyFigures.repeatedly(atLeast: minimum, expected: head) {
                try await TallyFigures.catchUp(log, count: head)
            }
            report.record(
                subscription, id: "subscribe-catch-up", label: "fig 4: subscription catching up from position 1",
                details: [("log_events", .integer(head)), ("page", .integer(512))])
            progress("fig 4: \(grouped(subscription.eventsPerSecond)) ev/s", since: began)
        }
    }

    /// Opens a fresh log named `name`, warms it up, runs `body`, then closes and deletes the log.
    private func withFreshLog<Result>(
        _ name: String, _ body: (EventLog) async throws -> Result
    ) async throws -> Result {
        let log = try TallyFigures.openLog(at: scratch.child(name), mapSize: configuration.mapSize)
        defer {
            log.close()
            scratch.remove(name)
        }
        try await TallyFigures.warmUp(log, with: workload.warmUp)
        return try await body(log)
    }

    private func progress(_ message: String, since began: ContinuousClock.Instant) {
        let seconds = String(format: "%.1f", (ContinuousClock.now - began).seconds)
        standardError("[run \(run)/\(configuration.runs)] \(message) (\(seconds) s)\n")
    }
}
