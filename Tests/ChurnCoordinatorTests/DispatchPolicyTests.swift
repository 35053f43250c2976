import ChurnCoordinator
import XCTest

/// The dispatch policy driven by hand: events in, actions out, time from a manual clock. No
/// sockets, no processes, no sleeping.
final class DispatchPolicyTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    /// A policy with `links` ready links (window `window`) that hold model 1, and job 1 on model 1.
    private func policy(links: Int, window: Int, poisonThreshold: Int = 3) -> DispatchPolicy {
        var p = DispatchPolicy(settings: .init(poisonThreshold: poisonThreshold))
        for id in 0..<links {
            p.addLink(id)
            _ = p.linkReady(id, window: window, now: 0)
            _ = p.modelReady(id, model: 1, now: 0)
        }
        p.addJob(1, model: 1)
        return p
    }

    private func sends(_ actions: [DispatchAction]) -> [(shard: Int, link: Int)] {
        actions.compactMap { if case let .send(s, l) = $0 { return (s, l) } else { return nil } }
    }

    func testCreditWindowBoundsWhatIsInFlight() {
        var p = policy(links: 2, window: 2)
        var sent: [(shard: Int, link: Int)] = []
        for key in 1...6 { sent += sends(p.addShard(key, job: 1, now: 0)) }
        XCTAssertEqual(sent.map(\.shard), [1, 2, 3, 4], "two links × window 2")
        XCTAssertEqual(p.inFlight(on: 0), 2)
        XCTAssertEqual(p.inFlight(on: 1), 2)
        // A result frees a credit: the next queued shard goes to that link.
        let next = p.resultArrived(1, from: sent[0].link, now: 10 * ms)
        XCTAssertEqual(next.first, .deliver(shard: 1, job: 1))
        XCTAssertEqual(sends(next).map(\.shard), [5])
        XCTAssertEqual(sends(next).map(\.link), [sent[0].link])
    }

    func testConcurrentJobsTakeTurns() {
        var p = policy(links: 1, window: 1)
        p.addJob(2, model: 1)
        var order: [Int] = []
        for key in 1...4 { order += sends(p.addShard(key, job: 1, now: 0)).map(\.shard) }       // job 1: shards 1–4
        for key in 11...14 { order += sends(p.addShard(key, job: 2, now: 0)).map(\.shard) }     // job 2: shards 11–14
        // One credit: each result lets one shard go, and the jobs alternate.
        for _ in 0..<6 {
            let inFlight = order.last!
            let actions = p.resultArrived(inFlight, from: 0, now: 0)
            XCTAssertTrue(actions.contains(.deliver(shard: inFlight, job: inFlight > 10 ? 2 : 1)))
            order += sends(actions).map(\.shard)
        }
        XCTAssertEqual(order, [1, 11, 2, 12, 3, 13, 4], "job 2 was not starved behind job 1's queue")
    }

    func testShardLostWithItsWorkerIsResentFirstAndAloneOnAnIdleWorker() {
        var p = policy(links: 2, window: 2)
        var sent: [(shard: Int, link: Int)] = []
        for key in 1...5 { sent += sends(p.addShard(key, job: 1, now: 0)) }
        let onLink0 = sent.filter { $0.link == 0 }.map(\.shard)
        XCTAssertEqual(onLink0.count, 2)
        let lost = p.linkLost(0, now: 1 * ms)
        XCTAssertTrue(lost.contains(.resend(shard: onLink0[0], job: 1, suspect: true)))
        XCTAssertTrue(lost.contains(.resend(shard: onLink0[1], job: 1, suspect: true)))
        XCTAssertTrue(sends(lost).isEmpty, "link 1 is busy: a suspect waits for an idle worker")
        // Link 1 finishes both its shards; the first suspect goes to it alone.
        let onLink1 = sent.filter { $0.link == 1 }.map(\.shard)
        _ = p.resultArrived(onLink1[0], from: 1, now: 2 * ms)
        let afterSecond = p.resultArrived(onLink1[1], from: 1, now: 3 * ms)
        XCTAssertEqual(sends(afterSecond).map(\.shard), [onLink0[0]], "one suspect, nothing beside it")
        XCTAssertEqual(p.inFlight(on: 1), 1)
        // While it is isolated, queued shards (suspect or not) do not join it.
        XCTAssertTrue(sends(p.pump(now: 4 * ms)).isEmpty)
    }

    func testShardLostWithThreeWorkersIsPoison() {
        var p = policy(links: 1, window: 1)
        XCTAssertEqual(sends(p.addShard(7, job: 1, now: 0)).map(\.shard), [7])
        var actions: [DispatchAction] = []
        for round in 1...3 {
            actions = p.linkLost(0, now: UInt64(round) * ms)
            if round < 3 {
                XCTAssertTrue(actions.contains(.resend(shard: 7, job: 1, suspect: true)))
                _ = p.linkReady(0, window: 1, now: UInt64(round) * ms)
                let again = p.modelReady(0, model: 1, now: UInt64(round) * ms)
                XCTAssertEqual(sends(again).map(\.shard), [7], "re-sent after reconnect, round \(round)")
            }
        }
        XCTAssertTrue(actions.contains(.poison(shard: 7, job: 1, losses: 3)))
        XCTAssertEqual(p.unfinishedShards(of: 1), 0)
    }

    func testHandedBackShardIsNotBlamed() {
        var p = policy(links: 1, window: 1)
        _ = p.addShard(1, job: 1, now: 0)
        for round in 1...5 {
            let actions = p.handBack(1, from: 0, now: UInt64(round) * ms)
            XCTAssertTrue(actions.contains(.resend(shard: 1, job: 1, suspect: false)))
            XCTAssertEqual(sends(actions).map(\.shard), [1], "an innocent re-send goes straight out again")
        }
        XCTAssertFalse(p.linkLost(0, now: 10 * ms).contains { if case .poison = $0 { return true } else { return false } })
    }

    func testStragglerIsSpeculativelyResentAndTheFirstResultWins() {
        var p = policy(links: 2, window: 1)
        XCTAssertEqual(sends(p.addShard(1, job: 1, now: 0)).map(\.link), [0])
        XCTAssertEqual(sends(p.addShard(2, job: 1, now: 0)).map(\.link), [1])
        // Link 1 is quick: shard 2 in 100 ms. Nothing queued; shard 1 is not yet a straggler.
        XCTAssertTrue(sends(p.resultArrived(2, from: 1, now: 100 * ms)).isEmpty)
        XCTAssertTrue(sends(p.pump(now: 200 * ms)).isEmpty, "under twice the median and the 250 ms floor")
        // At 300 ms shard 1 has run more than 2 × 100 ms and the floor: it also goes to link 1.
        let speculative = p.pump(now: 300 * ms)
        XCTAssertTrue(speculative.contains(.speculate(shard: 1, job: 1)))
        XCTAssertEqual(sends(speculative).map(\.shard), [1])
        XCTAssertEqual(sends(speculative).map(\.link), [1])
        XCTAssertTrue(sends(p.pump(now: 900 * ms)).isEmpty, "a shard is speculated once")
        // Link 1 answers first: delivered, and the slow copy on link 0 is cancelled.
        let won = p.resultArrived(1, from: 1, now: 350 * ms)
        XCTAssertEqual(won.prefix(2), [.deliver(shard: 1, job: 1), .cancel(shard: 1, link: 0)])
        XCTAssertEqual(p.inFlight(on: 0), 0)
        XCTAssertTrue(p.resultArrived(1, from: 0, now: 400 * ms).isEmpty, "the late copy is ignored")
    }

    func testSuspectShardIsNeverSpeculated() {
        var p = policy(links: 3, window: 1)
        _ = p.addShard(1, job: 1, now: 0)  // → link 0
        _ = p.linkLost(0, now: 0)          // suspect; goes alone to idle link 1
        XCTAssertEqual(p.inFlight(on: 1), 1)
        XCTAssertFalse(p.pump(now: 10_000 * ms).contains(.speculate(shard: 1, job: 1)))
    }

    func testRemovingAJobCancelsItsShardsOnTheWorkers() {
        var p = policy(links: 2, window: 2)
        p.addJob(2, model: 1)
        for key in 1...3 { _ = p.addShard(key, job: 1, now: 0) }
        _ = p.addShard(10, job: 2, now: 0)
        let actions = p.removeJob(1, now: 1 * ms)
        let cancelled = actions.compactMap { if case let .cancel(s, _) = $0 { return s } else { return nil } }
        XCTAssertEqual(Set(cancelled), [1, 2, 3])
        XCTAssertEqual(p.inFlight(on: 0) + p.inFlight(on: 1), 1, "only job 2's shard is left")
        XCTAssertEqual(p.unfinishedShards(of: 1), 0)
    }

    func testModelIsPreparedOncePerWorkerAndKeptForLaterJobs() {
        var p = DispatchPolicy()
        p.addLink(0)
        p.addLink(1)
        _ = p.linkReady(0, window: 1, now: 0)
        _ = p.linkReady(1, window: 1, now: 0)
        p.addJob(1, model: 5)
        let first = p.addShard(1, job: 1, now: 0)
        XCTAssertEqual(first, [.prepareModel(model: 5, link: 0), .prepareModel(model: 5, link: 1)])
        XCTAssertTrue(p.addShard(2, job: 1, now: 0).isEmpty, "loading is under way: not asked twice")
        XCTAssertEqual(sends(p.modelReady(0, model: 5, now: 0)).map(\.shard), [1])
        XCTAssertEqual(sends(p.modelReady(1, model: 5, now: 0)).map(\.shard), [2])
        _ = p.resultArrived(1, from: 0, now: 0)
        _ = p.resultArrived(2, from: 1, now: 0)
        _ = p.removeJob(1, now: 0)
        // A second job on the same model: straight to the workers, no model traffic.
        p.addJob(2, model: 5)
        XCTAssertEqual(p.addShard(3, job: 2, now: 0), [.send(shard: 3, link: 0)])
        // A reconnect starts a new session: the model is checked again there.
        _ = p.linkLost(1, now: 0)
        _ = p.linkReady(1, window: 1, now: 0)
        XCTAssertEqual(p.addShard(4, job: 2, now: 0), [.prepareModel(model: 5, link: 1)])
    }
}
