extension EventLoop {
    /// Runs `work` on the loop thread and returns its result to an async caller (a dashboard handler, say).
    /// - Throws: what `work` throws, or `TransportError` `ECANCELED` when the loop has shut down.
    public func submit<T: Sendable>(_ work: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = execute {
                continuation.resume(with: Result { try work() })
            }
            if !accepted {
                continuation.resume(throwing: TransportError(code: TransportError.cancelled, context: "loop stopped"))
            }
        }
    }
}
