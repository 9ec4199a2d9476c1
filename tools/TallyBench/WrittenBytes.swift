import Foundation

/// The bytes this process has handed to `write`-family system calls so far: `wchar` in Linux's
/// `/proc/self/io`; `nil` where that file does not exist.
///
/// During an append measurement the only writer is LMDB, so the difference across it is the
/// pages LMDB wrote (before they are synced), which is what a commit's `fsync` must flush.
func writtenBytesSoFar() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
        return Int(line.dropFirst("wchar:".count).drop { $0 == " " })
    }
    return nil
}

/// The bytes written since `before` was read from ``writtenBytesSoFar()``, if both are known.
func written(since before: Int?) -> Int? {
    guard let before, let now = writtenBytesSoFar() else { return nil }
    return now - before
}
