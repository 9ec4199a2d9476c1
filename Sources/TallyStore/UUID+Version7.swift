package import Foundation

extension UUID {
    /// A new RFC 9562 version 7 UUID: 48 bits of Unix time in milliseconds, then random bits.
    ///
    /// Tally gives events without a client id a version 7 id so that ids of recent events sort
    /// together: the event-id index then grows at its end, like the log, instead of touching a
    /// random page for every event as random (version 4) ids would.
    package static func version7(at time: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, time.timeIntervalSince1970 * 1000))
        var bytes = UUID().uuid  // 122 random bits from one call into the system's generator
        withUnsafeMutableBytes(of: &bytes) { raw in
            for index in 0..<6 { raw[index] = UInt8(truncatingIfNeeded: milliseconds >> UInt64(8 * (5 - index))) }
            raw[6] = 0x70 | (raw[6] & 0x0F)  // version 7
            raw[8] = 0x80 | (raw[8] & 0x3F)  // RFC 9562 variant
        }
        return UUID(uuid: bytes)
    }
}
