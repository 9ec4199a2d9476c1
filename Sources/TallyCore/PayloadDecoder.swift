/// Decodes a stored event payload into a value, whatever the payload's encoding.
///
/// Domains decode their events through this, so they need no JSON library themselves;
/// the store supplies an implementation over the stored bytes.
package protocol PayloadDecoder {
    /// Decodes the payload as a `T`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T
}
