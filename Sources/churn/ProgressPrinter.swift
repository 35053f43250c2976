import ChurnEngine
import ChurnService
import Foundation

/// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise.
final class ProgressPrinter: @unchecked Sendable {  // `lastPrint`, `printed` guarded by `lock`; `unit` set before the first update
    private let enabled: Bool
    /// What `JobProgress.workersLive` counts: "threads" in process, "workers" on a cluster.
    var unit = "workers"
    private let terminal = isatty(2) != 0
    private var lastPrint = Date.distantPast
    private var printed = false
    private let lock = NSLock()

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: JobProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let interval = terminal ? 0.2 : 5.0
        guard now.timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = now
        let fraction = p.fraction
        let rate = p.rowsPerSecond
        let mbps = p.seconds > 0 ? Double(p.bytesRead) / 1e6 / p.seconds : 0
        let eta = fraction > 0.01 ? p.seconds * (1 - fraction) / fraction : 0
        let details = String(format: "%3.0f%%  %@ rows  %.0f rows/s  %.0f MB/s  ETA %.0fs  %@ %d",
                             fraction * 100, SummaryText.grouped(p.rowsScored), rate, mbps, eta, unit, p.workersLive)
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(details)\u{1B}[K".utf8))
            printed = true
        } else {
            FileHandle.standardError.write(Data("progress: \(details)\n".utf8))
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if printed && terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
