import Foundation
import Hummingbird

/// The server's counters and HTTP latency histograms, written out in the Prometheus text format
/// (version 0.0.4) at `GET /metrics`. Small enough to keep by hand; no metrics backend is needed.
final class ServerMetrics: @unchecked Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServerMetrics.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    private struct State {
        var requests: [String: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var uploadBytes: UInt64 = 0
    }

    private let state = Locked(State())

    /// One HTTP request: its route pattern (never the raw path, to keep label sets small).
    func observe(method: String, route: String, status: Int, seconds: Double) {
        state.withLockedValue { s in
            let key = "method=\"\(method)\",route=\"\(Self.escape(route))\""
            s.requests[key + ",status=\"\(status)\"", default: 0] += 1
            var h = s.latency[key] ?? Histogram()
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[key] = h
        }
    }

    func uploaded(bytes: Int64) {
        state.withLockedValue { $0.uploadBytes += UInt64(max(0, bytes)) }
    }

    /// The exposition: job counters from `counts`, gauges from the running jobs and the pool, read at
    /// scrape time.
    func render(counts: JobCounts, running: [LiveRun], pool: PoolSnapshot) -> String {
        let s = state.withLockedValue { $0 }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        header("churn_jobs_started_total", "counter", "Scoring jobs started through the server.")
        out += "churn_jobs_started_total \(counts.started)\n"
        header("churn_jobs_finished_total", "counter", "Scoring jobs finished, by final status.")
        for status in [LiveStatus.succeeded, .failed, .cancelled] {
            out += "churn_jobs_finished_total{status=\"\(status.rawValue)\"} \(counts.finished(status))\n"
        }
        header("churn_jobs_running", "gauge", "Scoring jobs running now.")
        out += "churn_jobs_running \(running.count)\n"
        header("churn_rows_scored_total", "counter", "Rows scored by succeeded jobs.")
        out += "churn_rows_scored_total \(counts.rowsScored)\n"
        header("churn_rows_per_second", "gauge", "Rows per second of the running jobs together (0 when idle).")
        out += "churn_rows_per_second \(Self.number(running.reduce(0) { $0 + $1.rowsPerSecond }))\n"
        header("churn_upload_bytes_total", "counter", "Bytes of uploads accepted.")
        out += "churn_upload_bytes_total \(s.uploadBytes)\n"
        header("churn_workers_up", "gauge", "Workers of the pool that are up.")
        out += "churn_workers_up \(pool.workers.filter(\.up).count)\n"
        header("churn_workers", "gauge", "Workers of the pool.")
        out += "churn_workers \(pool.workers.count)\n"
        header("churn_http_requests_total", "counter", "HTTP requests by method, route and status.")
        for key in s.requests.keys.sorted() { out += "churn_http_requests_total{\(key)} \(s.requests[key]!)\n" }
        header("churn_http_request_duration_seconds", "histogram", "HTTP request latency by method and route.")
        for key in s.latency.keys.sorted() {
            let h = s.latency[key]!
            for (i, bound) in Self.buckets.enumerated() {
                out += "churn_http_request_duration_seconds_bucket{\(key),le=\"\(Self.number(bound))\"} \(h.counts[i])\n"
            }
            out += "churn_http_request_duration_seconds_bucket{\(key),le=\"+Inf\"} \(h.count)\n"
            out += "churn_http_request_duration_seconds_sum{\(key)} \(Self.number(h.sum))\n"
            out += "churn_http_request_duration_seconds_count{\(key)} \(h.count)\n"
        }
        return out
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Times every request into `ServerMetrics`, labelled by the matched route.
struct MetricsRecorder: RouterMiddleware {
    typealias Context = DashboardContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, Int(response.status.code), start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, Int(status), start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, _ status: Int, _ start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.observe(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status, seconds: seconds)
    }
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLockedValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
