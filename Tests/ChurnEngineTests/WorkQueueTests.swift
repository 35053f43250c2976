import ChurnEngine
import Foundation
import XCTest

/// The bounded FIFO that hands chunks to the scoring threads (and chunks to the history thread).
final class WorkQueueTests: XCTestCase {
    private final class Payload: @unchecked Sendable {
        let n: Int
        init(_ n: Int) { self.n = n }
    }

    func testItemsComeOutInOrderAndCloseEndsTheQueue() {
        let q = WorkQueue<Int>(capacity: 3)
        for round in 0..<50 {
            for i in 0..<3 { XCTAssertTrue(q.push(round * 3 + i)) }
            for i in 0..<3 { XCTAssertEqual(q.pop(), round * 3 + i) }
        }
        XCTAssertTrue(q.push(7))
        q.close()
        XCTAssertEqual(q.pop(), 7, "what was queued before close is still handed out")
        XCTAssertNil(q.pop())
        XCTAssertFalse(q.push(8))
    }

    /// A popped value is the caller's alone: the queue keeps no reference to it (it used to keep up to
    /// 64 popped values, which for scoring meant up to 64 chunks of input held for nothing).
    func testPoppedValuesAreNotRetained() {
        let q = WorkQueue<Payload>(capacity: 2)
        weak var first: Payload?
        weak var tenth: Payload?
        for i in 0..<20 {
            let p = Payload(i)
            if i == 0 { first = p }
            if i == 9 { tenth = p }
            XCTAssertTrue(q.push(p))
            XCTAssertEqual(q.pop()?.n, i)
        }
        XCTAssertNil(first)
        XCTAssertNil(tenth)
    }
}
