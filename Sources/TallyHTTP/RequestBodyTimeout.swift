package import NIOCore
package import NIOHTTPTypes

/// Closes a connection whose client takes longer than a deadline to send one request, from its head to its end.
///
/// Hummingbird's idle timeout counts every body chunk as activity, and after answering a request
/// whose body the handler never read (a 401, a 405) it drains that body before reading the next
/// request. So without this handler a client that trickles a body a byte at a time holds its
/// connection, one of `--max-connections`, for as long as it likes. Slow headers need no handler
/// of their own: header bytes are not activity until the head is parsed, so the idle timeout ends them.
///
/// Add one per connection, after the HTTP codec (`HTTP1Channel.Configuration.additionalChannelHandlers`).
package final class RequestBodyTimeout: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    /// A handler that gives each request `timeout` from its head to its last body byte.
    package init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            // Scheduled on the channel's own event loop, so the closure runs where `context` lives.
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { context.close(promise: nil) }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
