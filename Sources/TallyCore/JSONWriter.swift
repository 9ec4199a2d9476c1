/// Writes JSON text straight into bytes: objects, arrays, strings and integers, in the order given.
///
/// Built by hand rather than with `JSONEncoder` because events, receipts and read-model rows are
/// written on every command and every read, and `JSONEncoder` was measured as the largest cost of
/// both paths. Strings are escaped as `JSONEncoder` escapes them — `"`, `\` and control characters
/// (`\b \f \n \r \t` by name, others as `\u00XX`); `/` is left alone — so the two agree byte for byte.
///
/// ```swift
/// var json = JSONWriter()
/// json.object { json in
///     json.member("account", string: "a-1")
///     json.member("amount", integer: 1250)
/// }
/// // json.bytes == Array(#"{"account":"a-1","amount":1250}"#.utf8)
/// ```
package struct JSONWriter: Sendable {
    /// The JSON written so far.
    package private(set) var bytes: [UInt8] = []
    /// Whether the next value or key follows a sibling and needs a comma first.
    private var followsSibling = false

    /// An empty writer.
    package init() {}

    /// Writes an object whose members `body` writes.
    package mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        bytes.append(UInt8(ascii: "{"))
        followsSibling = false
        try body(&self)
        bytes.append(UInt8(ascii: "}"))
        followsSibling = true
    }

    /// Writes an array whose elements `body` writes.
    package mutating func array(_ body: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        bytes.append(UInt8(ascii: "["))
        followsSibling = false
        try body(&self)
        bytes.append(UInt8(ascii: "]"))
        followsSibling = true
    }

    /// Writes a member name; the next value written is its value.
    package mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        followsSibling = false
    }

    /// Writes a string value.
    package mutating func string(_ value: String) {
        separate()
        appendString(value)
        followsSibling = true
    }

    /// Writes an integer value.
    package mutating func integer(_ value: some BinaryInteger) {
        separate()
        bytes += String(value).utf8
        followsSibling = true
    }

    /// Writes `true` or `false`.
    package mutating func bool(_ value: Bool) {
        raw(value ? trueBytes : falseBytes)
    }

    /// Writes `null`.
    package mutating func null() {
        raw(nullBytes)
    }

    /// Writes `json`, which must already be one valid JSON value, unchanged.
    package mutating func raw(_ json: some Collection<UInt8>) {
        separate()
        bytes += json
        followsSibling = true
    }

    /// Writes a member whose value is a string.
    package mutating func member(_ name: String, string value: String) {
        key(name)
        string(value)
    }

    /// Writes a member whose value is a string, or `null` when `value` is `nil`.
    package mutating func member(_ name: String, optionalString value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    /// Writes a member whose value is an integer.
    package mutating func member(_ name: String, integer value: some BinaryInteger) {
        key(name)
        integer(value)
    }

    /// Writes a member whose value is `true` or `false`.
    package mutating func member(_ name: String, bool value: Bool) {
        key(name)
        bool(value)
    }

    /// Writes a member whose value is `json`, already valid JSON, unchanged.
    package mutating func member(_ name: String, raw json: some Collection<UInt8>) {
        key(name)
        raw(json)
    }

    private mutating func separate() {
        if followsSibling { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: bytes += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)
private let trueBytes = Array("true".utf8)
private let falseBytes = Array("false".utf8)
private let nullBytes = Array("null".utf8)
