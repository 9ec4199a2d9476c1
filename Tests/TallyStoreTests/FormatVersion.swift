import TallyLMDB

/// Rewrites the `format-version` entry of the log at `path`, as a newer Tally would.
func overwriteFormatVersion(at path: String, with version: UInt32) throws {
    let env = try Environment(path: path)
    defer { env.close() }
    let meta = try env.openDatabase("meta")!
    try env.write { txn in
        try txn.put(
            withUnsafeBytes(of: version.bigEndian) { Array($0) }, forKey: Array("format-version".utf8), in: meta)
    }
}
