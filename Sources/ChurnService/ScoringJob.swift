import ChurnEngine
import Foundation

/// A running (or finished) scoring job: its events, its state, `cancel()`, and its outcome.
///
/// Any number of subscribers may call `events()`; each gets the events from then on, after a
/// replay of `started`, the latest `progress` and, when the job is over, its last event.
public final class ScoringJob: @unchecked Sendable {  // every var below is guarded by `lock`
    public let id: Int
    private let lock = NSLock()
    private let finishedCondition = NSCondition()
    private var info: JobInfo
    private var startedEvent: ScoringEvent?
    private var lastProgress: ScoringEvent?
    private var finalEvent: ScoringEvent?
    private var result: Result<JobOutcome, Error>?
    private var subscribers: [Int: AsyncStream<ScoringEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var waiters: [CheckedContinuation<JobOutcome, Error>] = []
    private var cancelHandlers: [() -> Void] = []
    private var cancelRequested = false
    private var cancelReason = "cancelled"

    init(id: Int, inputName: String, engine: String) {
        self.id = id
        info = JobInfo(id: id, inputName: inputName, engine: engine, state: .running, startedAt: Date())
    }

    // MARK: For callers

    /// A new stream of this job's events (see the type's comment for the replay).
    public func events() -> AsyncStream<ScoringEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(256)) { continuation in
            lock.lock()
            for event in [startedEvent, lastProgress, finalEvent].compactMap({ $0 }) { continuation.yield(event) }
            if finalEvent != nil {
                lock.unlock()
                continuation.finish()
                return
            }
            let key = nextSubscriber
            nextSubscriber += 1
            subscribers[key] = continuation
            lock.unlock()
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.withLock { _ = self.subscribers.removeValue(forKey: key) }
            }
        }
    }

    /// The job as it is now.
    public var snapshot: JobInfo { lock.withLock { info } }

    public var state: JobState { lock.withLock { info.state } }

    /// Stops the job: no results file is left, the history run is marked failed, the workers
    /// drop its shards. Idempotent; does nothing once the job is over.
    /// - Parameter reason: recorded as the history run's error ("cancelled", "interrupted", …).
    public func cancel(reason: String = "cancelled") {
        let handlers: [() -> Void] = lock.withLock {
            guard !cancelRequested, result == nil else { return [] }
            cancelRequested = true
            cancelReason = reason
            return cancelHandlers
        }
        for handler in handlers { handler() }
    }

    public var isCancelled: Bool { lock.withLock { cancelRequested } }

    /// The error a cancelled job ends with.
    var cancellation: JobCancelled { lock.withLock { JobCancelled(reason: cancelReason) } }

    /// The outcome, once the job is over; throws its error (`JobCancelled` when cancelled).
    public var outcome: JobOutcome {
        get async throws {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JobOutcome, Error>) in
                lock.lock()
                if let result {
                    lock.unlock()
                    continuation.resume(with: result)
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        }
    }

    /// Blocks this thread until the job is over (for command-line callers); throws its error.
    public func wait() throws -> JobOutcome {
        finishedCondition.lock()
        while lock.withLock({ result == nil }) { finishedCondition.wait() }
        finishedCondition.unlock()
        return try lock.withLock { result! }.get()
    }

    // MARK: For the runner

    /// Runs `handler` on `cancel()` (at once if cancel came first).
    func onCancel(_ handler: @escaping () -> Void) {
        let now: Bool = lock.withLock {
            if cancelRequested { return true }
            cancelHandlers.append(handler)
            return false
        }
        if now { handler() }
    }

    func publish(_ event: ScoringEvent) {
        let targets: [AsyncStream<ScoringEvent>.Continuation] = lock.withLock {
            switch event {
            case .started: startedEvent = event
            case .progress(let p):
                lastProgress = event
                info.progress = p
            default: break
            }
            return Array(subscribers.values)
        }
        for t in targets { t.yield(event) }
    }

    func setEngine(_ engine: String, inputName: String) {
        lock.withLock {
            info.engine = engine
            info.inputName = inputName
        }
    }

    func setHistoryRunId(_ id: Int64) {
        lock.withLock { info.historyRunId = id }
    }

    /// Ends the job: the last event, the state, wakes every waiter.
    func complete(_ result: Result<JobOutcome, Error>) {
        let last: ScoringEvent
        let state: JobState
        switch result {
        case .success(let outcome):
            last = .finished(outcome)
            state = .succeeded
        case .failure(let error) where error is JobCancelled:
            last = .cancelled
            state = .cancelled
        case .failure(let error):
            last = .failed(message: "\(error)")
            state = .failed("\(error)")
        }
        let (targets, waiting) = lock.withLock {
            self.result = result
            finalEvent = last
            info.state = state
            info.finishedAt = Date()
            cancelHandlers.removeAll()
            let t = Array(subscribers.values)
            subscribers.removeAll()
            let w = waiters
            waiters.removeAll()
            return (t, w)
        }
        for t in targets {
            t.yield(last)
            t.finish()
        }
        for w in waiting { w.resume(with: result) }
        finishedCondition.lock()
        finishedCondition.broadcast()
        finishedCondition.unlock()
    }
}
