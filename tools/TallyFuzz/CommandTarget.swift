import LedgerProjection
import TallyCore
import TallyHTTP
import TallyStore

/// Reads the input as the body of every ledger command type, as `POST /v1/commands/{type}` does
/// (the strict JSON check first, then the type's decoder).
///
/// Property: a body is either a command or a 4xx problem whose document is valid JSON, never a 500.
func fuzzCommand(_ bytes: [UInt8]) {
    for type in LedgerCommand.router.types {
        do {
            try JSONValidator.validate(bytes, as: .data)
            _ = try LedgerCommand.router.command(type: type, body: bytes)
        } catch {
            requireClientProblem(for: error)
        }
    }
}
