import ChurnTransport
import ChurnWire
import Foundation

/// One worker's answer to `churn cluster status`.
public struct WorkerStatus: Sendable {
    public var endpoint: WorkerEndpoint
    public var reachable: Bool
    public var problem: String?
    public var protocolVersion: UInt16?
    public var workerName: String?
    public var stats: Message.Stats?
    /// Round trip of the STATS request, in milliseconds.
    public var latencyMs: Double?
}

/// Asks every worker for its STATS concurrently.
public enum ClusterStatusProbe {
    public static func probe(_ endpoints: [WorkerEndpoint], secret: [UInt8]?, timeout: Duration = .seconds(3)) throws -> [WorkerStatus] {
        let loop = try EventLoop()
        loop.startOnNewThread(name: "churn-status-loop")
        defer {
            loop.stop()
            loop.waitUntilStopped()
        }
        let results = OrderedResults(count: endpoints.count)
        var clients: [WorkerClient] = []
        _ = loop.execute {
            for (i, endpoint) in endpoints.enumerated() {
                let client = WorkerClient(endpoint: endpoint, secret: secret, loop: loop, name: "churn-cluster-status")
                clients.append(client)
                var status = WorkerStatus(endpoint: endpoint, reachable: false)
                client.start(timeout: timeout) { ready in
                    switch ready {
                    case .failure(let e):
                        status.problem = "\(e)"
                        results.set(i, status)
                    case .success(let session):
                        status.reachable = true
                        status.protocolVersion = session.version
                        status.workerName = session.peerName
                        let sent = DispatchTime.now().uptimeNanoseconds
                        client.request(.statsRequest(.init())) { reply in
                            status.latencyMs = Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6
                            switch reply {
                            case .success(.stats(let s)): status.stats = s
                            case .success(let other): status.problem = "unexpected \(other.type.name)"
                            case .failure(let e): status.problem = "\(e)"
                            }
                            results.set(i, status)
                            client.close()
                        }
                    }
                }
            }
        }
        return results.wait(timeout: 10).enumerated().map { i, s in
            s ?? WorkerStatus(endpoint: endpoints[i], reachable: false, problem: "no answer within 10 s")
        }
    }
}

/// Slots filled from the loop thread, awaited from another.
final class OrderedResults: @unchecked Sendable {  // every var guarded by `condition`
    private let condition = NSCondition()
    private var values: [WorkerStatus?]
    private var filled = 0

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: WorkerStatus) {
        condition.lock()
        if values[i] == nil { filled += 1 }
        values[i] = value
        condition.broadcast()
        condition.unlock()
    }

    func wait(timeout: TimeInterval) -> [WorkerStatus?] {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while filled < values.count && condition.wait(until: deadline) {}
        return values
    }
}
