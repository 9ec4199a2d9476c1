import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import TallyHTTP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP connection, to send a request part by part and see whether the server closes it.
private final class Connection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        // MSG_NOSIGNAL: a write after the server closed fails with EPIPE instead of killing the test process.
        _ = text.utf8CString.withUnsafeBufferPointer {
            Glibc.send(descriptor, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL))
        }
    }

    /// Reads until the server closes the connection, `enough` holds for what arrived, or `timeout`
    /// passes: what arrived, and whether the server closed the connection.
    func read(
        within timeout: Duration, until enough: (String) -> Bool = { _ in false }
    ) -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var text = ""
        while ContinuousClock.now < deadline, !enough(text) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            guard count > 0 else { return (text, true) }
            text += String(decoding: buffer[..<count], as: UTF8.self)
        }
        return (text, false)
    }
}

@Suite("Bad clients at the HTTP edge")
struct BadClientTests {
    /// A server with the body timeout, as `tally serve` configures it, and a long idle timeout; a POST
    /// is answered 404 at once, without its body being read (as a 401 or 405 is in `tally serve`).
    private func withServer(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("/health/live") { _, _ in "ok" }
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestBodyTimeout(timeout: .milliseconds(300))],
                    idleTimeout: .seconds(60))))
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    @Test func aBodyThatDoesNotArriveInTimeClosesTheConnection() async throws {
        try await withServer { port in
            let connection = try Connection(port: port)
            connection.send("POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
            // Closed at the body timeout, with or without the 404 ahead of it; the idle timeout is a minute away.
            let started = ContinuousClock.now
            #expect(connection.read(within: .seconds(10)).closed)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func requestsThatArriveInTimeKeepTheConnection() async throws {
        try await withServer { port in
            let connection = try Connection(port: port)
            // Each request is whole, so its deadline is cancelled; a connection closed by a missed
            // cancellation would leave the second request unanswered. The pause outlasts the timeout.
            for _ in 0..<2 {
                connection.send("POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                let (text, closed) = connection.read(within: .seconds(30)) { $0.contains("\r\n\r\n") }
                #expect(text.hasPrefix("HTTP/1.1 404"))  // answered without reading the body
                #expect(!closed)
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    @Test func aBrokenChunkedBodyIsAnInvalidBodyProblem() {
        let problem = Problem(for: HTTPParserError.invalidChunkSize)
        #expect(problem.status == .badRequest)
        #expect(problem.type.hasSuffix("/invalid-body"))
        #expect(problem.detail?.contains("chunk size") == true)
    }
}
