import CTallyLMDB

/// A named database (`MDB_dbi`) inside an ``Environment``, valid for the environment's life.
package struct Database: Sendable {
    /// How a database orders and stores its entries; fixed when it is created.
    package struct Flags: OptionSet, Sendable {
        package let rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Several sorted values per key (`MDB_DUPSORT`).
        package static let duplicateSort = Flags(rawValue: UInt32(MDB_DUPSORT))
        /// With ``duplicateSort``: every value has the same size, stored packed (`MDB_DUPFIXED`).
        package static let duplicateFixed = Flags(rawValue: UInt32(MDB_DUPFIXED))
    }

    let handle: MDB_dbi
    /// The name the database was opened with.
    package let name: String
}

/// How ``WriteTransaction/put(_:forKey:in:flags:)`` treats existing entries.
package struct PutFlags: OptionSet, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with ``LMDBError/Kind/keyExists`` if the key exists (`MDB_NOOVERWRITE`).
    package static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every key in the database; fails with `keyExists` otherwise (`MDB_APPEND`).
    package static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// In a duplicate-sorted database, the value sorts after the key's other values (`MDB_APPENDDUP`).
    package static let appendDuplicate = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
}
