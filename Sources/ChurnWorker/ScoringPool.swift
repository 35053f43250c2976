import Foundation

/// Threads that parse and score shards off the event loop. Jobs run in submission order; each
/// job posts its result back to the loop itself (through `EventLoop.execute`).
final class ScoringPool: @unchecked Sendable {  // every var guarded by `condition`
    private let condition = NSCondition()
    /// Queued jobs from `head` on; slots before `head` are emptied as soon as a thread takes their
    /// job, because a job holds its shard's frame (a megabyte or more) until it is released.
    private var jobs: [(() -> Void)?] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    let threadCount: Int

    init(threads: Int) {
        threadCount = threads
        for i in 0..<threads {
            let thread = Thread { [weak self] in self?.work() }
            thread.name = "churn-score-\(i)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Jobs waiting for a thread.
    var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head
    }

    /// Jobs running now.
    var busy: Int {
        condition.lock()
        defer { condition.unlock() }
        return running
    }

    func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets queued jobs finish, then ends the threads.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]!
            jobs[head] = nil
            head += 1
            if head > 256 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            running += 1
            condition.unlock()
            job()
            condition.lock()
            running -= 1
            condition.unlock()
        }
    }
}
