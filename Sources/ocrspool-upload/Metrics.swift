import Foundation
import SpoolKit
import Synchronization

/// The daemon's counters, shown at `/metrics` in Prometheus text format 0.0.4.
final class Metrics: Sendable {
    /// Upper bounds of the latency histogram's buckets, in seconds.
    static let buckets: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
    ]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: Metrics.buckets.count)
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var accepted = 0
        var acceptedBytes = 0
        var refused: [String: Int] = [:]
        var responses: [Int: Int] = [:]
        var latency: [String: Histogram] = [:]
    }

    private let state = Mutex(State())

    /// An upload became a job.
    func accepted(bytes: Int) {
        state.withLock { state in
            state.accepted += 1
            state.acceptedBytes += bytes
        }
    }

    /// An upload was refused or abandoned, for `reason` (an error code or `aborted`).
    func refused(_ reason: String) {
        state.withLock { $0.refused[reason, default: 0] += 1 }
    }

    /// A request on `route` ended with `status` (0 when no response was sent).
    func finished(route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.responses[status, default: 0] += 1
            var histogram = state.latency[route] ?? Histogram()
            for (index, bound) in Metrics.buckets.enumerated() where seconds <= bound {
                histogram.counts[index] += 1
            }
            histogram.count += 1
            histogram.sum += seconds
            state.latency[route] = histogram
        }
    }

    /// The exposition text, with the gauges the caller measured just now.
    func render(depths: [Queue: Int], connections: Int, waiting: Int) -> String {
        let state = self.state.withLock { $0 }
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }

        family("ocrspool_queue_jobs", "gauge", "Jobs in each spool queue.")
        for queue in Queue.jobQueues {
            lines.append("ocrspool_queue_jobs{queue=\"\(queue.rawValue)\"} \(depths[queue] ?? 0)")
        }
        family("ocrspool_uploads_accepted_total", "counter", "Uploads that became jobs.")
        lines.append("ocrspool_uploads_accepted_total \(state.accepted)")
        family("ocrspool_upload_bytes_total", "counter", "Image bytes of accepted uploads.")
        lines.append("ocrspool_upload_bytes_total \(state.acceptedBytes)")
        family("ocrspool_uploads_refused_total", "counter", "Uploads refused, by reason.")
        for (reason, count) in state.refused.sorted(by: { $0.key < $1.key }) {
            lines.append("ocrspool_uploads_refused_total{reason=\"\(reason)\"} \(count)")
        }
        family("ocrspool_http_responses_total", "counter", "Responses sent, by status code.")
        for (status, count) in state.responses.sorted(by: { $0.key < $1.key }) {
            lines.append("ocrspool_http_responses_total{code=\"\(status)\"} \(count)")
        }
        family("ocrspool_http_connections", "gauge", "Open client connections.")
        lines.append("ocrspool_http_connections \(connections)")
        family("ocrspool_http_waiting_requests", "gauge", "Requests waiting for a result.")
        lines.append("ocrspool_http_waiting_requests \(waiting)")

        let name = "ocrspool_http_request_duration_seconds"
        family(name, "histogram", "Time from request head to the end of the response.")
        for (route, histogram) in state.latency.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in Metrics.buckets.enumerated() {
                let count = histogram.counts[index]
                lines.append("\(name)_bucket{route=\"\(route)\",le=\"\(bound)\"} \(count)")
            }
            lines.append("\(name)_bucket{route=\"\(route)\",le=\"+Inf\"} \(histogram.count)")
            lines.append("\(name)_sum{route=\"\(route)\"} \(histogram.sum)")
            lines.append("\(name)_count{route=\"\(route)\"} \(histogram.count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
