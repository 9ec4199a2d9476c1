import HTTPTypes
import Hummingbird
import NIOCore
import TallyCore
import TallyStore
import TallyVerify

extension TallyAPI {
    /// Liveness, readiness, Prometheus metrics and the OpenAPI document: no key needed.
    func addOperationRoutes(to router: Router<TallyRequestContext>) {
        add(.get, "/health/live", to: router, permission: nil) { _, _ in
            json(Array(#"{"status":"live"}"#.utf8))
        }
        add(.get, "/health/ready", to: router, permission: nil) { _, _ in
            let head: TreeHead
            do {
                head = try log.treeHead()
            } catch {
                throw Problem("not-ready", "The log cannot be read", .serviceUnavailable)
            }
            var json = JSONWriter()
            json.object { json in
                json.member("status", string: "ready")
                json.member("position", integer: head.size)
            }
            return self.json(json.bytes)
        }
        add(.get, "/metrics", to: router, permission: nil) { _, _ in
            try metrics.sample(log)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        add(.get, "/v1/openapi.json", to: router, permission: nil) { _, _ in
            json(Array(OpenAPIDocument.json.utf8))
        }
    }
}
