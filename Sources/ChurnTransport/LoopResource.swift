/// Implemented by every wrapper whose `handle.pointee.data` points at it, so that `EventLoop.stop()` can
/// close handles it finds with `uv_walk` through their owner (which releases memory in its close callback).
protocol LoopResource: AnyObject {
    /// Close now because the loop is shutting down. Loop thread only; must tolerate being already closed.
    func closeForLoopShutdown()
}
