import Foundation
import TallyStore

/// The events every figure appends, built once before anything is timed.
///
/// Event `i` belongs to stream `account-(i mod 1000)`, so every prefix of the pool spreads over
/// all streams, and has one of ten types chosen at random, so each type is about 1/10 of the log.
struct Workload: Sendable {
    /// The number of streams the events spread over.
    static let streamCount = 1000
    /// What every stream's name starts with: the category `account`.
    static let streamPrefix = "account-"
    /// The size of every event's JSON payload, in bytes.
    static let payloadBytes = 200
    /// The event types, chosen uniformly.
    static let eventTypes = [
        "deposited", "withdrawn", "transferred-in", "transferred-out", "fee-charged",
        "interest-paid", "limit-changed", "address-changed", "statement-issued", "audited",
    ]
    /// The type the filtered read selects: about one event in ten.
    static let filteredType = "audited"

    /// The measured events, in order.
    let events: [ProposedEvent]
    /// Events appended, unmeasured, to each fresh log before timing starts.
    let warmUp: [ProposedEvent]

    /// Builds `count` events plus `warmUpCount` warm-up events; `seed` fixes their streams, types and payloads.
    init(count: Int, warmUpCount: Int, seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let streams = try (0..<Self.streamCount).map { try StreamID("\(Self.streamPrefix)\($0)") }
        events = try (0..<count).map { index in
            let stream = streams[index % Self.streamCount]
            let type = Self.eventTypes[Int(random.next() % UInt64(Self.eventTypes.count))]
            return try ProposedEvent(
                stream: stream, type: type, data: Self.payload(stream: stream, sequence: index, random: &random))
        }
        // Warm-up events use a type outside `eventTypes`, so the filtered read's count stays exact.
        warmUp = try (0..<warmUpCount).map { index in
            let stream = streams[index % Self.streamCount]
            return try ProposedEvent(
                stream: stream, type: "opened", data: Self.payload(stream: stream, sequence: index, random: &random))
        }
    }

    /// A JSON object of exactly ``payloadBytes`` bytes describing a plausible account movement.
    static func payload(stream: StreamID, sequence: Int, random: inout SplitMix64) -> [UInt8] {
        let amount = random.next() % 1_000_000
        let reference = String(random.next() % 1_000_000_000, radix: 16)
        let head =
            #"{"account":"\#(stream)","sequence":\#(sequence),"amount":\#(amount),"#
            + #""currency":"EUR","channel":"mobile","reference":"INV-\#(reference)","memo":""#
        let tail = #""}"#
        let filler = "benchmark payload, padded to a fixed size with plain ASCII text "
        let room = max(payloadBytes - head.utf8.count - tail.utf8.count, 0)
        let memo = String(String(repeating: filler, count: room / filler.utf8.count + 1).prefix(room))
        return Array((head + memo + tail).utf8)
    }
}

/// A small, fast, seedable random number generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        // The constants are SplitMix64's published increment and mixing multipliers.
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// A fresh directory under the system's temporary directory, deleted by ``remove()``.
struct ScratchDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    /// Creates a new, empty directory whose name starts with `prefix`.
    init(prefix: String) throws {
        let base = NSTemporaryDirectory()
        path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory (not created: LMDB environments create their own).
    func child(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Deletes `name` inside the directory and everything in it.
    func remove(_ name: String) { try? FileManager.default.removeItem(atPath: child(name)) }

    /// Deletes the directory and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
