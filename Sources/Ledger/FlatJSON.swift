/// Reads a JSON object whose members are all strings or integers: the shape of every ledger payload.
///
/// Read by hand because projectors decode every stored event (three read models, a million
/// events in a rebuild) and `JSONDecoder` was measured at several microseconds per payload. Keys
/// reach the caller as bytes, not strings: a rebuild parses each of a million payloads three
/// times, and making a `String` of every key showed in its profile.
enum FlatJSON {
    /// One member's value.
    enum Value: Equatable {
        case string(String)
        case integer(Int64)
    }

    /// Parses `bytes`, which must be one object of string and integer members, nothing else, and
    /// calls `member` with each member's key (unescaped UTF-8, valid only during the call) and
    /// value, in the order written. Duplicate keys are the caller's to refuse.
    ///
    /// - Throws: ``Ledger/PayloadError/malformed`` for any other JSON, or what `member` throws.
    static func parse(
        _ bytes: some Collection<UInt8>, member: (UnsafeBufferPointer<UInt8>, Value) throws -> Void
    ) throws {
        let parsed: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
            try parse(buffer, member: member)
        }
        if parsed == nil { try Array(bytes).withUnsafeBufferPointer { try parse($0, member: member) } }
    }

    private static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, member: (UnsafeBufferPointer<UInt8>, Value) throws -> Void
    ) throws {
        var reader = Reader(bytes: bytes)
        try reader.expect(UInt8(ascii: "{"))
        if try reader.peek() == UInt8(ascii: "}") {
            reader.offset += 1
        } else {
            while true {
                let key = try reader.rawString()
                try reader.expect(UInt8(ascii: ":"))
                let value: Value =
                    try reader.peek() == UInt8(ascii: "\"")
                    ? .string(try reader.string()) : .integer(try reader.integer())
                switch key {
                case .inPlace(let range): try member(UnsafeBufferPointer(rebasing: bytes[range]), value)
                case .unescaped(let text): try text.withUnsafeBufferPointer { try member($0, value) }
                }
                let next = try reader.next()
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw Ledger.PayloadError.malformed }
            }
        }
        reader.skipWhitespace()
        guard reader.offset == bytes.count else { throw Ledger.PayloadError.malformed }
    }

    /// A string's UTF-8: where it lies in the input, or (if it holds an escape) unescaped.
    private enum RawString {
        case inPlace(Range<Int>)
        case unescaped([UInt8])
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        mutating func skipWhitespace() {
            while offset < bytes.count {
                switch bytes[offset] {
                case 0x20, 0x09, 0x0A, 0x0D: offset += 1
                default: return
                }
            }
        }

        mutating func peek() throws -> UInt8 {
            skipWhitespace()
            guard offset < bytes.count else { throw Ledger.PayloadError.malformed }
            return bytes[offset]
        }

        mutating func next() throws -> UInt8 {
            defer { offset += 1 }
            return try peek()
        }

        mutating func expect(_ byte: UInt8) throws {
            guard try next() == byte else { throw Ledger.PayloadError.malformed }
        }

        /// An optional minus and at least one digit, within `Int64` (a fraction or exponent
        /// leaves its `.`, `e` or `E` unread, which the caller then refuses).
        mutating func integer() throws -> Int64 {
            _ = try peek()
            let negative = bytes[offset] == UInt8(ascii: "-")
            if negative { offset += 1 }
            let start = offset
            // Accumulated negative: Int64.min has no positive counterpart.
            var value: Int64 = 0
            while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") {
                let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = times10.subtractingReportingOverflow(Int64(bytes[offset] - UInt8(ascii: "0")))
                guard !overflow, !overflow2 else { throw Ledger.PayloadError.malformed }
                value = next
                offset += 1
            }
            guard offset > start else { throw Ledger.PayloadError.malformed }
            if negative { return value }
            guard value != .min else { throw Ledger.PayloadError.malformed }
            return -value
        }

        mutating func string() throws -> String {
            switch try rawString() {
            case .inPlace(let range): String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            case .unescaped(let text): String(decoding: text, as: UTF8.self)
            }
        }

        mutating func rawString() throws -> RawString {
            try expect(UInt8(ascii: "\""))
            // Most strings have no escape: they are read where they lie.
            let start = offset
            while offset < bytes.count {
                switch bytes[offset] {
                case UInt8(ascii: "\""):
                    defer { offset += 1 }
                    return .inPlace(start..<offset)
                case UInt8(ascii: "\\"): return .unescaped(try escapedString(from: start))
                default: offset += 1
                }
            }
            throw Ledger.PayloadError.malformed
        }

        /// The rest of a string that holds an escape, unescaped; `start` is its first byte, `offset`
        /// its first backslash.
        mutating func escapedString(from start: Int) throws -> [UInt8] {
            var text = Array(bytes[start..<offset])
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                switch byte {
                case UInt8(ascii: "\""): return text
                case UInt8(ascii: "\\"):
                    guard offset < bytes.count else { throw Ledger.PayloadError.malformed }
                    let escaped = bytes[offset]
                    offset += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"): text += try unicodeEscape()
                    default: throw Ledger.PayloadError.malformed
                    }
                default: text.append(byte)
                }
            }
            throw Ledger.PayloadError.malformed
        }

        /// The UTF-8 of a `\uXXXX` escape (and its low surrogate, if it is a high one).
        mutating func unicodeEscape() throws -> [UInt8] {
            func hex4() throws -> UInt32 {
                guard offset + 4 <= bytes.count,
                    let value = UInt32(String(decoding: bytes[offset..<offset + 4], as: UTF8.self), radix: 16)
                else { throw Ledger.PayloadError.malformed }
                offset += 4
                return value
            }
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard offset + 2 <= bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                    bytes[offset + 1] == UInt8(ascii: "u")
                else { throw Ledger.PayloadError.malformed }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw Ledger.PayloadError.malformed }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Ledger.PayloadError.malformed }
            return Array(String(Character(unicode)).utf8)
        }
    }
}
