import CLibFuzzer
import Foundation

/// The fuzz targets `tally-fuzz` runs, chosen by the environment variable `TALLY_FUZZ_TARGET`
/// (tools/fuzz.sh sets it; the corpus of each lives in `tools/fuzz/corpus/<name>/`).
enum FuzzTarget: String, CaseIterable {
    /// Stored event records (`EventRecord.Layout`, `RecordedEvent`).
    case record
    /// The strict JSON validator, against Foundation's parser.
    case json
    /// Raw append bodies and their conditions (`AppendBody`).
    case append
    /// Ledger command bodies (`LedgerCommand.router`), as `POST /v1/commands/{type}` reads them.
    case command
    /// Checkpoint text, signed notes and verifier keys (`TallyVerify`).
    case checkpoint
    /// Inclusion and consistency proof verification (`TallyVerify`).
    case proof

    /// Runs one input through the target; traps (a finding) if a property does not hold.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .record: fuzzRecord(bytes)
        case .json: fuzzJSON(bytes)
        case .append: fuzzAppendBody(bytes)
        case .command: fuzzCommand(bytes)
        case .checkpoint: fuzzCheckpoint(bytes)
        case .proof: fuzzProof(bytes)
        }
    }
}

/// The target named by `TALLY_FUZZ_TARGET`, read once; an unknown name stops the process (exit 64).
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TALLY_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        printUsage()
        exit(64)  // EX_USAGE
    }
    return target
}()

/// Names the targets on standard error; in a function of its own so its strings are freed before
/// `exit` (LeakSanitizer would report them and change the exit status).
private func printUsage() {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("tally-fuzz: set TALLY_FUZZ_TARGET to one of: \(names)\n".utf8))
}

/// Runs libFuzzer's driver (with the command line, as `tally-fuzz` got it) over ``selectedTarget``.
@main
enum TallyFuzz {
    static func main() {
        _ = selectedTarget  // an unknown target stops here, before libFuzzer starts
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }
}

/// libFuzzer's callback: one input per call; any trap is a finding it saves as a crash file.
private func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeBufferPointer(start: start, count: count))
    selectedTarget.run(bytes)
    return 0
}

/// Stops the process with `message` unless `condition` holds: a property the code under test broke.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    guard condition() else { fatalError("property violated: \(message())") }
}
