import AsyncAlgorithms
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TallyCore
import TallyStore

extension TallyAPI {
    /// `GET /v1/events/live`: the log's events as Server-Sent Events or NDJSON, catch-up then live.
    func addSubscriptionRoutes(to router: Router<TallyRequestContext>) {
        add(.get, "/v1/events/live", to: router, permission: .readEvents) { request, _ in
            let accept = request.headers[.accept] ?? ""
            let ndjson = accept.contains("application/x-ndjson") || accept.contains("application/jsonl")
            let from = try subscriptionStart(of: request)
            let subscription = log.subscribe(from: from, filter: try filter(of: request))
            let heartbeat = limits.heartbeatInterval
            let body = ResponseBody { writer in
                // Frames pass through a channel that holds one at a time, so a slow client slows
                // only its own reads. The feed ends on graceful shutdown or when the log closes;
                // a write to a closed connection (the client left) cancels it. Either way the
                // subscription and its reads are released.
                let frames = AsyncChannel<[UInt8]>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { frames.finish() }
                        try? await cancelWhenGracefulShutdown {
                            var iterator = subscription.makeAsyncIterator()
                            while true {
                                switch try await iterator.next(idleTimeout: heartbeat) {
                                case .event(let event):
                                    await frames.send(ndjson ? event.ndjsonLine : Self.sseFrame(event))
                                case .idle: await frames.send(ndjson ? Array("\n".utf8) : Array(": heartbeat\n\n".utf8))
                                }
                            }
                        }
                    }
                    defer { group.cancelAll() }
                    for await frame in frames { try await writer.write(ByteBuffer(bytes: frame)) }
                }
                try await writer.finish(nil)
            }
            var headers = HTTPFields()
            headers[.contentType] = ndjson ? "application/x-ndjson" : "text/event-stream"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    /// The first position to send: after `Last-Event-ID` (a reconnecting client), else after
    /// `after`, else at `from`, else from the start. `after` and `from` together are refused.
    private func subscriptionStart(of request: Request) throws -> UInt64 {
        if let lastEventID = request.headers[.lastEventID] {
            guard let last = UInt64(lastEventID), last < .max else {
                throw invalidParameter("Last-Event-ID", "must be a log position")
            }
            return last + 1
        }
        let after = try position("after", of: request)
        let from = try position("from", of: request)
        if after != nil, from != nil { throw invalidParameter("after", "cannot be combined with from") }
        if let after { return after + 1 }
        return from ?? 1
    }

    private static func sseFrame(_ event: RecordedEvent) -> [UInt8] {
        Array("id: \(event.position)\ndata: ".utf8) + event.json + Array("\n\n".utf8)
    }
}
