package import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// Waiting for child processes without `Process.waitUntilExit()`.
//
// On Linux, Foundation learns that a child ended through a socket the child inherits, and reaps it
// when that socket closes. With many processes started at once by parallel tests, the socket can
// stay open in another process, so the ended child stays a zombie and `waitUntilExit()` spins
// forever (swift-corelibs-foundation#4795). A CI run of this suite hung so, with two zombies and
// every test thread spinning. These helpers reap the child themselves with `waitpid`.

/// Exit statuses already reaped here, by process object (a second `waitpid` would find nothing).
private let reaped = Mutex<[ObjectIdentifier: Int32]>([:])

/// Waits until `process` has ended and returns its exit status, or 128 + the signal that ended it.
package func exitStatus(of process: Process) -> Int32 {
    wait(for: process, blocking: true)!
}

/// The exit status of `process` (as ``exitStatus(of:)``) if it has ended; `nil` while it runs.
package func exitStatusIfEnded(_ process: Process) -> Int32? {
    wait(for: process, blocking: false)
}

private func wait(for process: Process, blocking: Bool) -> Int32? {
    let key = ObjectIdentifier(process)
    if let known = reaped.withLock({ $0[key] }) { return known }
    let pid = process.processIdentifier
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        if result == pid { break }
        if result == 0 { return nil }  // still running
        if errno == EINTR { continue }
        // ECHILD: Foundation reaped it first, so it saw the end and holds the status.
        process.waitUntilExit()
        return process.terminationStatus
    }
    let signal = status & 0x7F
    let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    reaped.withLock { $0[key] = code }
    return code
}

/// Runs a command to completion with its output discarded, and returns its exit status.
@discardableResult
package func shell(_ arguments: String...) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return exitStatus(of: process)
}
