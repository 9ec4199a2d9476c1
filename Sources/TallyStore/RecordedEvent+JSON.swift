import Foundation
package import TallyCore
package import TallyVerify

extension JSONWriter {
    /// Writes an event as every read returns it; `data` and `metadata` are the stored bytes, and
    /// `leafHash` its Merkle leaf hash (hex), what an inclusion proof starts from. An erased event
    /// has `data` as the erasure kept it and `erasure`: `{"erasedBy": <position>, "dataDigest": "<hex>"}`.
    package mutating func write(_ event: RecordedEvent) {
        object { json in
            json.member("position", integer: event.position)
            json.member("stream", string: event.stream.rawValue)
            json.member("revision", integer: event.revision)
            json.member("id", string: event.id.uuidString.lowercased())
            json.member("type", string: event.type)
            json.key("tags")
            json.array { json in for tag in event.tags { json.string(tag) } }
            json.member("data", raw: event.data)
            if let erasure = event.erasure {
                json.key("erasure")
                json.object { json in
                    json.member("erasedBy", integer: erasure.erasedBy)
                    json.member("dataDigest", string: erasure.dataDigest.hex)
                }
            }
            json.member("metadata", raw: event.metadata)
            json.member("recordedAt", string: event.recordedAt.iso8601)
            json.member("leafHash", string: event.leafHash.hex)
        }
    }

    /// Writes a stream's head as every listing returns it: `{"stream", "revision", "position"}`.
    package mutating func write(_ head: StreamHead) {
        object { json in
            json.member("stream", string: head.stream.rawValue)
            json.member("revision", integer: head.revision)
            json.member("position", integer: head.position)
        }
    }

    /// Writes a projection's status as `GET /v1/projections` and `tally projections` list it.
    package mutating func write(_ status: ProjectionStatus) {
        object { json in
            json.member("name", string: status.name)
            json.member("version", integer: status.version)
            json.member("mode", string: status.mode)
            json.member("position", integer: status.checkpoint)
            json.member("lag", integer: status.lag)
            json.member("deadLetters", integer: status.deadLetters)
            switch status.state {
            case .healthy: json.member("state", string: "healthy")
            case .degraded: json.member("state", string: "degraded")
            case .rebuilding(let version):
                json.member("state", string: "rebuilding")
                json.member("rebuildingVersion", integer: version)
            }
        }
    }

    /// Writes a Merkle tree head: `{"size": …, "root": "<hex>"}`.
    package mutating func write(_ head: TreeHead) {
        object { json in
            json.member("size", integer: head.size)
            json.member("root", string: head.root.hex)
        }
    }
}

extension [UInt8] {
    /// The bytes that hexadecimal `text` (either case, two digits a byte) spells; `nil` for anything else.
    package init?(hex text: String) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }

    /// Lower-case hexadecimal.
    package var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension RecordedEvent {
    /// The event as every read returns it: one JSON object (``JSONWriter/write(_:)-(RecordedEvent)``).
    package var json: [UInt8] {
        var json = JSONWriter()
        json.write(self)
        return json.bytes
    }

    /// ``json`` and a newline: one line of NDJSON, as exports, feeds and tails write them.
    package var ndjsonLine: [UInt8] { json + [UInt8(ascii: "\n")] }
}
