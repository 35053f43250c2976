import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnIO
import ChurnStore
import Foundation

/// Records one scoring run in the SQLite history: the run, then every prediction (encoded on the
/// scoring threads through `recording`, written on a thread of its own so scoring does not wait for
/// SQLite), then the summary, or the failure.
public final class RunHistory: @unchecked Sendable {  // `writeError` behind `errorLock`; `writer` used by the history thread only
    public let store: RunStore
    public let runId: Int64
    /// The last successful run of the same input file name, if any.
    public let previousRun: RunRecord?
    private let writer: PredictionWriter
    /// Room for 4 chunks (under 1 MB each with 1 MiB chunks): the history thread's writes may wait on
    /// the disk for a moment without holding the scoring threads up. A longer queue (it was 64, then
    /// 8) only held memory: the history thread keeps up with scoring, and checkpoints run on a
    /// thread of their own.
    private let queue = WorkQueue<PredictionBlockBuilder>(capacity: 4)
    private let done = DispatchSemaphore(value: 0)
    /// Set by the history thread, read by the scoring side: guarded by `errorLock`.
    private var firstWriteError: Error?
    private let errorLock = NSLock()
    private var writeError: Error? {
        get { errorLock.withLock { firstWriteError } }
        set { errorLock.withLock { firstWriteError = newValue } }
    }

    /// The default history file: `$CHURN_DB`, else `~/.local/share/churn/history.sqlite`.
    public static var defaultPath: String {
        if let env = ProcessInfo.processInfo.environment["CHURN_DB"], !env.isEmpty { return env }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.local/share/churn/history.sqlite"
    }

    public init(path: String, inputPath: String, modelPath: String, model: ModelFile.Loaded, compiled: CompiledModel, rankBy: RankBy) throws {
        try Self.createDirectory(for: path)
        store = try RunStore(path: path)
        let fingerprint = try Self.quickFingerprint(path: inputPath)
        runId = try store.beginRun(RunStart(inputPath: inputPath, inputBytes: Int64(fingerprint.bytes), inputFingerprint: fingerprint.text,
                                            modelHash: model.hashHex, modelPath: modelPath, rankBy: rankBy))
        previousRun = try store.previousRun(inputName: (inputPath as NSString).lastPathComponent, before: runId)
        // The writer compares High-risk customers with the previous run's as rows arrive.
        // Codes are u16 with two kept for blank and unseen: a model with a feature of more levels
        // records no category data rather than codes that collide (the workers decide alike).
        let categories = PredictionRecording.categoryLevels(of: compiled.model).isEmpty
            ? [] : compiled.model.categorical.map { CategoryLevels(feature: $0.column, levels: $0.categories.map(\.value)) }
        writer = try store.predictionWriter(runId: runId, driverNames: compiled.driverNames, interventions: compiled.actions,
                                            categories: categories, comparingWith: previousRun?.id)
        let thread = Thread { [self] in
            while let rows = queue.pop() {
                guard writeError == nil else { continue }
                do {
                    try writer.append(chunk: rows)
                } catch {
                    writeError = error
                }
            }
            done.signal()
        }
        thread.name = "churn-history"
        thread.start()
    }

    /// Creates the directory that will hold the history file, if it has one (a bare file name means
    /// the current directory), with an error that names the file.
    public static func createDirectory(for path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? error.localizedDescription
            throw InputError(file: path, "cannot create the history's directory \(directory): \(reason)")
        }
    }

    /// Builders for the scoring threads: pass to `LocalScorer.recording` or `ClusterScorer.Options.recording`.
    public var recording: PredictionRecording { writer.recording }

    /// Queues a chunk's predictions (called in input order).
    public func record(_ rows: PredictionBlockBuilder) throws {
        if let writeError { throw writeError }
        queue.push(rows)
    }

    /// Waits for every prediction, marks the run succeeded with its summary, and returns the
    /// customers newly at High risk since the previous run of the same input.
    public func finish(summaryJSON: String, aggregate: ScoreAggregate) throws -> [String] {
        queue.close()
        done.wait()
        if let writeError { throw writeError }
        try store.finishRun(runId, summaryJSON: summaryJSON, rowsScored: aggregate.rowsScored, rowsRejected: aggregate.rowsRejected)
        // With no earlier run of this input there is nothing to compare with: nobody is "newly" High.
        return previousRun == nil ? [] : writer.newlyHigh
    }

    /// Marks the run failed (its predictions are removed).
    public func fail(_ error: Error) {
        queue.close()
        done.wait()
        try? store.failRun(runId, error: "\(error)")
    }

    /// Size, modification time and FNV-1a of the first and last MiB: identifies a file without
    /// reading gigabytes twice.
    public static func quickFingerprint(path: String) throws -> (bytes: Int, text: String) {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError(file: path, "cannot be read") }
        defer { try? handle.close() }
        var hash = FNV1a64()
        (try handle.read(upToCount: 1 << 20)).map { $0.withUnsafeBytes { hash.update($0) } }
        if size > 2 << 20 {
            try handle.seek(toOffset: UInt64(size - (1 << 20)))
            (try handle.read(upToCount: 1 << 20)).map { $0.withUnsafeBytes { hash.update($0) } }
        }
        return (size, "size=\(size);mtime=\(Int(modified));fnv1a64(head,tail)=\(hash.hex)")
    }
}
