import Foundation

/// Writes `SyntheticCustomers` to a file on several threads, blocks in order.
public enum DataGenerator {
    /// Returns the number of bytes written.
    @discardableResult
    public static func write(rows: Int, seed: UInt64, withLabel: Bool, to path: String, threads: Int) throws -> Int {
        let generator = SyntheticCustomers(seed: seed, withLabel: withLabel)
        let output = try OutputFile(path: path)
        try output.write(Array(generator.headerLine.utf8))
        let blocks = (rows + SyntheticCustomers.blockRows - 1) / SyntheticCustomers.blockRows
        let next = ManagedAtomicCounter()
        let results = OrderedQueue<[UInt8]>()
        let window = Credits(threads * 4)
        for _ in 0..<max(1, threads) {
            Thread {
                while true {
                    window.acquire()
                    let b = next.increment()
                    guard b < blocks else { window.release(); return }
                    let first = b * SyntheticCustomers.blockRows
                    var out: [UInt8] = []
                    out.reserveCapacity(SyntheticCustomers.blockRows * 120)
                    generator.appendRows(first: first, count: min(SyntheticCustomers.blockRows, rows - first), to: &out)
                    results.put(b, out)
                }
            }.start()
        }
        for _ in 0..<blocks {
            try output.write(try results.take())
            window.release()
        }
        try output.commit()
        return output.bytesWritten
    }
}

/// A counter shared by threads.
final class ManagedAtomicCounter: @unchecked Sendable {  // `value` guarded by `lock`
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
