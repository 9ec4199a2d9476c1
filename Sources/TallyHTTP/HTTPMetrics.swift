package import Prometheus
import Synchronization
import TallyStore
import TallyVerify

/// The Prometheus metrics the HTTP edge records, and the log's state sampled on each scrape.
///
/// The writer's own metrics (commits, events, batch sizes, commit latency) reach the same
/// registry through swift-metrics: pass ``factory`` as the log's `EventLog.Options.metrics`.
package struct HTTPMetrics: Sendable {
    /// Where every metric lives; `GET /metrics` renders it.
    package let registry: PrometheusCollectorRegistry
    /// The request counter and histogram of each method, route and status, made once: the
    /// registry's own lookup validates names and labels on every call, which a request should not pay.
    private let requestMetrics = RequestMetrics()

    /// Metrics in `registry`.
    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// A swift-metrics factory writing into ``registry``.
    package var factory: PrometheusMetricsFactory { PrometheusMetricsFactory(registry: registry) }

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(5),
    ]

    // Computed: the descriptor type is not Sendable, so it cannot be a stored static.
    private static func metric(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tally", metricName: name, unitName: unit, helpText: help)
    }

    private static var requests: MetricNameDescriptor {
        metric("http_requests", "total", "HTTP requests answered, by method, route and status.")
    }
    private static var requestDuration: MetricNameDescriptor {
        metric(
            "http_request_duration", "seconds", "Time from a request's arrival to its answer, by method and route.")
    }
    private static var head: MetricNameDescriptor { metric("log_head", "position", "The last committed log position.") }
    private static var streams: MetricNameDescriptor { metric("log", "streams", "Streams holding at least one event.") }
    private static var mapSize: MetricNameDescriptor { metric("map_size", "bytes", "The size of the LMDB memory map.") }
    private static var mapUsed: MetricNameDescriptor {
        metric("map_used", "bytes", "The bytes of the memory map in use.")
    }
    private static var lag: MetricNameDescriptor {
        metric("projection_lag", "events", "Events a projection has yet to apply.")
    }

    /// Counts one answered request and records how long it took.
    func record(method: String, route: String, status: Int, elapsed: Duration) {
        let key = RequestMetrics.Key(method: method, route: route, status: status)
        let (counter, histogram) = requestMetrics.handles.withLock { handles in
            if let made = handles[key] { return made }
            let made = (
                registry.makeCounter(
                    descriptor: Self.requests,
                    labels: [("method", method), ("route", route), ("status", String(status))]),
                registry.makeDurationHistogram(
                    descriptor: Self.requestDuration, labels: [("method", method), ("route", route)],
                    buckets: Self.latencyBuckets)
            )
            handles[key] = made
            return made
        }
        counter.increment()
        histogram.record(elapsed)
    }

    /// Samples the log's head, map usage and each projection's lag into gauges.
    func sample(_ log: EventLog) throws {
        let status = try log.status()
        registry.makeGauge(descriptor: Self.head).set(Double(status.treeHead.size))
        registry.makeGauge(descriptor: Self.streams).set(Double(status.streamCount))
        registry.makeGauge(descriptor: Self.mapSize).set(Double(status.mapSize))
        registry.makeGauge(descriptor: Self.mapUsed).set(Double(status.usedBytes))
        for projection in try log.projectionStatuses() {
            registry.makeGauge(descriptor: Self.lag, labels: [("projection", projection.name)]).set(
                Double(projection.lag))
        }
    }

    /// The registry in Prometheus text format.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// The request metrics already made, by method, route and status.
private final class RequestMetrics: Sendable {
    struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    let handles = Mutex<[Key: (Counter, DurationHistogram)]>([:])
}
