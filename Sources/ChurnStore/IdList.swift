/// Ids kept in order in one arena: a run's High ids whose place in the earlier run is not known
/// yet (`PredictionWriter`), checked all at once by `HighIdTable.containsEach`.
struct IdList {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    var count: Int { ends.count }
    var isEmpty: Bool { ends.isEmpty }

    mutating func append(_ id: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: id)
        ends.append(bytes.count)
    }

    func withId<T>(_ k: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let start = k == 0 ? 0 : ends[k - 1]
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[k]])) }
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
