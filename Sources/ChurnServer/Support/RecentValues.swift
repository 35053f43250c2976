/// A map that keeps only the `capacity` most recently stored keys: storing one more forgets the
/// oldest. For caches of values that never change once computed (a finished run's score changes),
/// so a long-running server's memory stays bounded however many runs are viewed.
struct RecentValues<Key: Hashable, Value> {
    let capacity: Int
    private var values: [Key: Value] = [:]
    /// Keys in the order they were first stored, oldest first; `head` skips the forgotten ones.
    private var order: [Key] = []
    private var head = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "RecentValues needs room for at least one value")
        self.capacity = capacity
    }

    var count: Int { values.count }

    subscript(key: Key) -> Value? { values[key] }

    /// Stores `value` for `key`, forgetting the oldest key when that makes one too many.
    mutating func store(_ value: Value, for key: Key) {
        if values.updateValue(value, forKey: key) != nil { return }
        order.append(key)
        if values.count > capacity {
            values.removeValue(forKey: order[head])
            head += 1
            if head >= capacity {  // drop the forgotten prefix now and then, not on every store
                order.removeFirst(head)
                head = 0
            }
        }
    }
}
