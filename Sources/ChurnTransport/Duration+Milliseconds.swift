extension Duration {
    /// Whole milliseconds for libuv timers, rounded up so that a positive duration never becomes 0
    /// (0 as a repeat interval means "do not repeat" to libuv). Negative durations count as 0.
    var uvMilliseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let millis = attoseconds / perMillisecond + (attoseconds % perMillisecond > 0 ? 1 : 0)
        return UInt64(seconds) * 1000 + UInt64(millis)
    }
}
