import ChurnCore
import Foundation

/// What scoring threads need to encode a run's predictions for the history: the run's name counts,
/// and a pool of builders so that chunk after chunk reuses the same memory. Thread-safe.
public final class PredictionRecording: @unchecked Sendable {  // `pool` guarded by `lock`; the counts are constants
    public let driverNames: Int
    public let interventions: Int
    /// Level counts of the categorical features whose codes rows carry; empty for none.
    public let categoryLevels: [Int]
    private let lock = NSLock()
    private var pool: [PredictionBlockBuilder] = []

    package init(driverNames: Int, interventions: Int, categoryLevels: [Int] = []) {
        self.driverNames = driverNames
        self.interventions = interventions
        self.categoryLevels = categoryLevels
    }

    /// An empty builder for the rows of a chunk whose first line is `firstLine`.
    public func makeChunk(firstLine: UInt64) -> PredictionBlockBuilder {
        lock.lock()
        let reused = pool.popLast()
        lock.unlock()
        let b = reused ?? PredictionBlockBuilder(driverNames: driverNames, interventions: interventions, categoryLevels: categoryLevels)
        b.baseLine = firstLine
        return b
    }

    /// Gives a builder back once its rows are copied out.
    package func recycle(_ b: PredictionBlockBuilder) {
        b.reset()
        lock.lock()
        if pool.count < 16 { pool.append(b) }
        lock.unlock()
    }
}

extension PredictionRecording {
    /// The level counts of the categorical features whose codes a run of `model` records, wherever
    /// it is scored (in-process or on workers, which must agree): every feature's, or none when a
    /// feature has more levels than a u16 code can tell apart from blank and unseen.
    public static func categoryLevels(of model: ChurnModel) -> [Int] {
        let counts = model.categorical.map(\.categories.count)
        return counts.allSatisfy { $0 <= Int(UInt16.max) - 2 } ? counts : []
    }
}
