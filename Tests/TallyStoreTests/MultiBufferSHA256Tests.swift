import Crypto
@testable import TallyStore
import Testing

/// Every job's digest is SHA-256 of its message, whether the library hashed it in a lane or
/// swift-crypto hashed it alone: all lengths around SHA-256's block and padding edges, the library's
/// length limit, and more jobs than any number of lanes.
@Suite struct MultiBufferSHA256Tests {
    private let lengths =
        [0, 1, 31, 55, 56, 63, 64, 65, 119, 120, 128, 1_000]
        + [MultiBufferSHA256.multiBufferLimit - 1, MultiBufferSHA256.multiBufferLimit]
        + [MultiBufferSHA256.multiBufferLimit + 1, 100_000]

    /// Hashes `messages` in one batch with `hasher` and returns each digest.
    private func digests(of messages: [[UInt8]], with hasher: MultiBufferSHA256) -> [[UInt8]] {
        var output = [UInt8](repeating: 0, count: 32 * messages.count)
        output.withUnsafeMutableBytes { digests in
            let buffers = messages.map { message in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: message.count, alignment: 1)
                message.withUnsafeBytes { buffer.copyMemory(from: $0) }
                return UnsafeRawBufferPointer(buffer)
            }
            defer { for buffer in buffers { buffer.deallocate() } }
            hasher.hash(
                buffers.enumerated().map { index, buffer in
                    SHA256Job(message: buffer, digest: digests.baseAddress! + 32 * index)
                })
        }
        return (0..<messages.count).map { Array(output[32 * $0..<32 * ($0 + 1)]) }
    }

    private func messages(count: Int) -> [[UInt8]] {
        var random = SystemRandomNumberGenerator()
        return (0..<count).map { index in
            (0..<lengths[index % lengths.count]).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
    }

    @Test(arguments: [true, false])
    func everyDigestIsTheSHA256OfItsMessage(multiBuffer: Bool) {
        let hasher = MultiBufferSHA256(multiBuffer: multiBuffer)
        let messages = messages(count: 3 * lengths.count + 200)
        let expected = messages.map { Array(SHA256.hash(data: $0)) }
        #expect(digests(of: messages, with: hasher) == expected)
        // The same hasher again: nothing of the last batch is left in flight.
        #expect(digests(of: messages.reversed(), with: hasher) == expected.reversed())
    }

    @Test func messagesAreHashedInLanesOnThisArchitecture() {
        #if arch(x86_64)
            #expect(MultiBufferSHA256().isMultiBuffer)
        #else
            #expect(!MultiBufferSHA256().isMultiBuffer)
        #endif
        #expect(!MultiBufferSHA256(multiBuffer: false).isMultiBuffer)
    }
}
