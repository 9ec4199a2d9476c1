import Foundation
import TallyStore

/// Checks the input with ``JSONValidator`` and compares its verdict with Foundation's `JSONSerialization`.
///
/// Properties: `validate` and `topLevelSpans` agree; whatever the validator accepts is UTF-8 that
/// Foundation parses to a value of the same kind, whose top-level members (or elements) are the
/// spans, each valid JSON on its own (Foundation may refuse only a number too large for a `Double`,
/// which RFC 8259 permits); whatever Foundation parses from UTF-8 text (no NUL, no byte order mark)
/// the validator accepts too, unless ``requireExplained(_:_:_:)`` finds a difference the two may have.
func fuzzJSON(_ bytes: [UInt8]) {
    let verdict = Result { () throws(EventValidationError) in try JSONValidator.validate(bytes, as: .data) }
    let spans = Result { () throws(EventValidationError) in try JSONValidator.topLevelSpans(of: bytes, as: .data) }
    switch (verdict, spans) {
    case (.success, .success), (.failure, .failure): break
    default: require(false, "validate says \(verdict), topLevelSpans says \(spans)")
    }
    if case .failure(let first) = verdict, case .failure(let second) = spans {
        require(first == second, "validate fails with \(first), topLevelSpans with \(second)")
    }
    let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
    switch (verdict, spans) {
    case (.success(let isObject), .success(let spans)):
        require(String(validating: bytes, as: UTF8.self) != nil, "accepted bytes that are not UTF-8")
        guard let parsed else {
            // RFC 8259 allows any number; Foundation refuses one beyond Double ("not representable in Swift").
            return require(hasNumberBeyondDouble(bytes), "accepted JSON that Foundation refuses")
        }
        require(isObject == (parsed is [String: Any]), "the object verdict differs from Foundation's")
        for span in spans {
            let member = Array(bytes[span.range])
            require((try? JSONValidator.validate(member, as: .data)) != nil, "a span is not valid JSON on its own")
        }
        if let object = parsed as? [String: Any] {
            let names = spans.compactMap(\.name)
            require(names.count == spans.count, "an object member has no name")
            require(Set(names) == Set(object.keys), "member names \(names) differ from Foundation's")
            require(names.count == object.count, "repeated member names were accepted")
        } else if let array = parsed as? [Any] {
            require(spans.count == array.count && spans.allSatisfy { $0.name == nil }, "array spans differ")
        } else {
            require(spans.isEmpty, "a scalar has spans")
        }
    case (.failure(let error), _):
        // Foundation guesses UTF-16 or UTF-32 from NUL bytes and skips a byte order mark; JSON text
        // (RFC 8259 §8.1) is UTF-8 without either, so only UTF-8 text without them is compared.
        guard let parsed, String(validating: bytes, as: UTF8.self) != nil, !bytes.contains(0),
            !bytes.starts(with: [0xEF, 0xBB, 0xBF])
        else { return }
        requireExplained(error.reason, bytes, parsed)
    default: break
    }
}

/// Traps unless the validator's refusal of text Foundation parsed is one the two may differ on: a
/// repeated member name (Foundation keeps the last), nesting deeper than the validator allows (then
/// Foundation's tree must be that deep), or a comma before `]` or `}` (Foundation allows it; the
/// text without such commas must then pass, or fail only for one of the other two reasons).
private func requireExplained(_ reason: EventValidationError.Reason, _ bytes: [UInt8], _ parsed: Any) {
    switch reason {
    case .duplicateKey: return
    case .tooDeep(let max):
        require(depth(of: parsed) > max, "refused as too deep, but Foundation's tree is \(depth(of: parsed)) deep")
    default:
        let strict = withoutTrailingCommas(bytes)
        require(strict != bytes, "refused with \(reason) what Foundation parses")
        do {
            try JSONValidator.validate(strict, as: .data)
        } catch {
            requireExplained(error.reason, strict, parsed)
        }
    }
}

/// How many arrays and objects nest in `value` at its deepest.
private func depth(of value: Any) -> Int {
    if let object = value as? [String: Any] { return 1 + (object.values.map(depth).max() ?? 0) }
    if let array = value as? [Any] { return 1 + (array.map(depth).max() ?? 0) }
    return 0
}

/// Whether valid JSON text holds a number whose magnitude overflows `Double` (such as `1e400`).
private func hasNumberBeyondDouble(_ bytes: [UInt8]) -> Bool {
    var inString = false
    var escaped = false
    var number: [UInt8] = []
    func overflows() -> Bool { Double(String(decoding: number, as: UTF8.self))?.isInfinite ?? false }
    for byte in bytes {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
        } else if Array("-+.eE0123456789".utf8).contains(byte) {
            number.append(byte)
            continue
        }
        if overflows() { return true }
        number = []
    }
    return overflows()
}

/// The text with each comma that is followed (after white space) by `]` or `}` removed, outside strings.
private func withoutTrailingCommas(_ bytes: [UInt8]) -> [UInt8] {
    var result: [UInt8] = []
    var inString = false
    var escaped = false
    for (index, byte) in bytes.enumerated() {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
        } else if byte == UInt8(ascii: ","),
            let next = bytes[(index + 1)...].first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }),
            next == UInt8(ascii: "]") || next == UInt8(ascii: "}")
        {
            continue
        }
        result.append(byte)
    }
    return result
}
