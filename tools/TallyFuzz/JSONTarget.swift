import Foundation
import TallyStore

/// Checks the input with ``JSONValidator`` and compares its verdict with Foundation's `JSONSerialization`.
///
/// Properties: `validate` and `topLevelSpans` agree; whatever the validator accepts is UTF-8 that
/// Foundation parses to a value of the same kind, whose top-level members (or elements) are the
/// spans, each valid JSON on its own; whatever Foundation parses from UTF-8 text the validator
/// accepts too, unless it names a repeated member or nests deeper than ``JSONValidator/maxDepth``
/// (checked against Foundation's own tree).
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
        guard let parsed else { return require(false, "accepted JSON that Foundation refuses") }
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
        guard let parsed, String(validating: bytes, as: UTF8.self) != nil, !bytes.starts(with: [0xEF, 0xBB, 0xBF])
        else { return }
        switch error.reason {
        case .duplicateKey: break  // Foundation keeps the last of repeated members
        case .tooDeep(let max):
            require(depth(of: parsed) > max, "refused as too deep, but Foundation's tree is \(depth(of: parsed)) deep")
        default: require(false, "refused with \(error.reason) what Foundation parses")
        }
    default: break
    }
}

/// How many arrays and objects nest in `value` at its deepest.
private func depth(of value: Any) -> Int {
    if let object = value as? [String: Any] { return 1 + (object.values.map(depth).max() ?? 0) }
    if let array = value as? [Any] { return 1 + (array.map(depth).max() ?? 0) }
    return 0
}
