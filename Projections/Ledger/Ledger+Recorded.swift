package import Ledger
package import TallyStore

extension Ledger.Event {
    /// The ledger event a stored event holds; `nil` for an event the ledger does not know.
    /// An erased event may have lost its owner, nothing else (``Ledger/Event/init(type:json:erased:)``).
    ///
    /// - Throws: ``Ledger/PayloadError`` when the payload does not match the type.
    package init?(_ event: RecordedEvent) throws {
        try self.init(type: event.type, json: event.data, erased: event.erasure != nil)
    }

    /// What an erased event still tells the ledger. The owner is the ledger's only personal data;
    /// every other member is part of the books (amounts, currencies, counterparties), which the
    /// read models must keep folding.
    ///
    /// - Throws: ``ErasureRefusal`` when the erasure took more than the owner.
    package init?(afterErasureOf event: RecordedEvent) throws {
        do {
            try self.init(event)
        } catch {
            throw ErasureRefusal(
                "the ledger's books need every member of a \(event.type) event but owner; erase only the owner field")
        }
    }
}

/// A stored event, with the ledger event it holds: what the ledger's projectors fold, decoded in
/// their ``TallyStore/Projector/prepare(_:)``, off the writer.
package struct DecodedLedgerEvent: Sendable {
    package let recorded: RecordedEvent
    package let event: Ledger.Event

    /// The ledger events among `events`, in order; events the ledger does not know are left out.
    ///
    /// - Throws: ``Ledger/PayloadError`` when a payload does not match its type.
    static func decoding(_ events: [RecordedEvent]) throws -> [DecodedLedgerEvent] {
        var decoded: [DecodedLedgerEvent] = []
        decoded.reserveCapacity(events.count)
        for recorded in events {
            if let event = try Ledger.Event(recorded) {
                decoded.append(DecodedLedgerEvent(recorded: recorded, event: event))
            }
        }
        return decoded
    }
}

extension String {
    /// The text, or `nil` if it is empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}
