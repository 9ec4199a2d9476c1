/// Checks that bytes are exactly one strict RFC 8259 JSON value, without parsing it into objects.
///
/// Payloads are stored exactly as received, so this only *checks*: valid UTF-8,
/// valid grammar, no repeated member names in any object (compared after
/// unescaping, so `"a"` and `"\u0061"` collide), and nesting at most `maxDepth` deep.
package struct JSONValidator {
    /// The deepest nesting of arrays and objects accepted.
    package static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private var failure: EventValidationError.Reason?
    /// Where the top level's members or elements lie, when asked for (``topLevelSpans(of:as:)``).
    private var spans: [JSONSpan]?

    /// Validates `bytes`; returns whether the top-level value is an object.
    ///
    /// - Throws: ``EventValidationError`` for `field` with `invalidJSON(offset:)`, `invalidUTF8`,
    ///   `duplicateKey` or `tooDeep`.
    @discardableResult
    package static func validate(_ bytes: [UInt8], as field: EventValidationError.Field) throws(EventValidationError)
        -> Bool
    {
        let result: Result<Bool, EventValidationError> = bytes.withUnsafeBytes { buffer in
            var validator = JSONValidator(bytes: buffer)
            validator.skipWhitespace()
            let first = validator.peek
            guard validator.value(depth: 0) else {
                return .failure(
                    EventValidationError(field, validator.failure ?? .invalidJSON(offset: validator.offset)))
            }
            validator.skipWhitespace()
            if validator.offset == buffer.count { return .success(first == UInt8(ascii: "{")) }
            return .failure(EventValidationError(field, validator.failure ?? .invalidJSON(offset: validator.offset)))
        }
        return try result.get()
    }

    /// Validates `bytes` as ``validate(_:as:)`` does, and returns where each member of the top-level
    /// object, or each element of the top-level array, lies in `bytes`; empty for any other value.
    ///
    /// Lets an edge take a request's `data` member byte for byte, as the log stores it.
    package static func topLevelSpans(of bytes: [UInt8], as field: EventValidationError.Field)
        throws(EventValidationError) -> [JSONSpan]
    {
        let result: Result<[JSONSpan], EventValidationError> = bytes.withUnsafeBytes { buffer in
            var validator = JSONValidator(bytes: buffer)
            validator.spans = []
            validator.skipWhitespace()
            guard validator.value(depth: 0) else {
                return .failure(
                    EventValidationError(field, validator.failure ?? .invalidJSON(offset: validator.offset)))
            }
            validator.skipWhitespace()
            if validator.offset == buffer.count { return .success(validator.spans ?? []) }
            return .failure(EventValidationError(field, validator.failure ?? .invalidJSON(offset: validator.offset)))
        }
        return try result.get()
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    private mutating func fail(_ reason: EventValidationError.Reason) -> Bool {
        if failure == nil { failure = reason }
        return false
    }

    private mutating func value(depth: Int) -> Bool {
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "\""): return string(into: nil)
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func object(depth: Int) -> Bool {
        var keys = Set<[UInt8]>()
        return container(depth: depth, close: UInt8(ascii: "}")) { validator in
            guard validator.peek == UInt8(ascii: "\"") else { return false }
            var key: [UInt8] = []
            guard validator.string(into: &key) else { return false }
            guard keys.insert(key).inserted else {
                return validator.fail(.duplicateKey(String(decoding: key, as: UTF8.self)))
            }
            validator.skipWhitespace()
            guard validator.peek == UInt8(ascii: ":") else { return false }
            validator.offset += 1
            validator.skipWhitespace()
            return validator.recordingValue(depth: depth, key: key)
        }
    }

    private mutating func array(depth: Int) -> Bool {
        container(depth: depth, close: UInt8(ascii: "]")) { validator in
            validator.recordingValue(depth: depth, key: nil)
        }
    }

    /// Checks a member's value or an array's element, recording its span when it is at the top level.
    private mutating func recordingValue(depth: Int, key: [UInt8]?) -> Bool {
        let start = offset
        guard value(depth: depth) else { return false }
        if depth == 1, spans != nil {
            spans!.append(JSONSpan(name: key.map { String(decoding: $0, as: UTF8.self) }, range: start..<offset))
        }
        return true
    }

    /// Checks an array or object from its opening bracket: elements checked by `element`, separated
    /// by `,`, up to `close`.
    private mutating func container(
        depth: Int, close: UInt8, element: (inout JSONValidator) -> Bool
    ) -> Bool {
        guard depth <= Self.maxDepth else { return fail(.tooDeep(max: Self.maxDepth)) }
        offset += 1
        skipWhitespace()
        if peek == close {
            offset += 1
            return true
        }
        while true {
            guard element(&self) else { return false }
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","):
                offset += 1
                skipWhitespace()
            case close:
                offset += 1
                return true
            default: return false
            }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] {
            offset += index
            return false
        }
        offset += count
        return true
    }

    private mutating func digits() -> Int {
        let start = offset
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { offset += 1 }
        return offset - start
    }

    private mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { offset += 1 }
        if peek == UInt8(ascii: "0") {
            offset += 1
        } else {
            guard let byte = peek, byte >= UInt8(ascii: "1"), byte <= UInt8(ascii: "9") else { return false }
            _ = digits()
        }
        if peek == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { return false }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            offset += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { return false }
        }
        return true
    }

    /// Checks a string starting at its opening quote; appends its unescaped UTF-8 to `key` when given.
    private mutating func string(into key: UnsafeMutablePointer<[UInt8]>?) -> Bool {
        offset += 1
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return true
            case UInt8(ascii: "\\"):
                offset += 1
                guard escape(into: key) else { return false }
            case 0..<0x20:
                return false  // control characters must be escaped inside strings
            case 0..<0x80:
                key?.pointee.append(byte)
                offset += 1
            default:
                let start = offset
                guard utf8Sequence() else { return fail(.invalidUTF8) }
                key?.pointee.append(contentsOf: bytes[start..<offset])
            }
        }
        return false
    }

    private mutating func escape(into key: UnsafeMutablePointer<[UInt8]>?) -> Bool {
        guard let byte = peek else { return false }
        offset += 1
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            key?.pointee.append(simple)
            return true
        }
        guard byte == UInt8(ascii: "u"), var scalar = hex4() else { return false }
        if (0xD800..<0xDC00).contains(scalar) {  // a high surrogate must be followed by a low one
            guard peek == UInt8(ascii: "\\") else { return fail(.invalidUTF8) }
            offset += 1
            guard peek == UInt8(ascii: "u") else { return fail(.invalidUTF8) }
            offset += 1
            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return fail(.invalidUTF8) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            return fail(.invalidUTF8)  // a lone low surrogate is not a character
        }
        if key != nil, let unicode = Unicode.Scalar(scalar) {
            key!.pointee.append(contentsOf: String(Character(unicode)).utf8)
        }
        return true
    }

    private mutating func hex4() -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// Consumes one well-formed multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
    private mutating func utf8Sequence() -> Bool {
        let lead = bytes[offset]
        let (count, low, high): (Int, UInt8, UInt8)
        switch lead {
        case 0xC2...0xDF: (count, low, high) = (2, 0x80, 0xBF)
        case 0xE0: (count, low, high) = (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (count, low, high) = (3, 0x80, 0xBF)
        case 0xED: (count, low, high) = (3, 0x80, 0x9F)
        case 0xF0: (count, low, high) = (4, 0x90, 0xBF)
        case 0xF1...0xF3: (count, low, high) = (4, 0x80, 0xBF)
        case 0xF4: (count, low, high) = (4, 0x80, 0x8F)
        default: return false
        }
        guard offset + count <= bytes.count else { return false }
        let second = bytes[offset + 1]
        guard second >= low, second <= high else { return false }
        for index in 2..<count where bytes[offset + index] & 0xC0 != 0x80 { return false }
        offset += count
        return true
    }
}

/// Where one member of a JSON object (or one element of an array) lies in the bytes that hold it.
package struct JSONSpan: Sendable, Equatable {
    /// The member's name, unescaped; `nil` for an array element.
    package let name: String?
    /// The value's bytes, exactly as written.
    package let range: Range<Int>
}
