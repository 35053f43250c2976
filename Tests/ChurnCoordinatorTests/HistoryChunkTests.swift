@testable import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnWire
import XCTest

/// A SHARD_RESULT's history chunk: what a worker's builder makes of its rows travels as columns and
/// becomes, on the coordinator, a builder with the same bytes; a chunk that does not fit the run is
/// refused before anything is copied.
final class HistoryChunkTests: XCTestCase {
    /// A run with 6 driver names and 3 interventions (1-byte driver and intervention codes), and one
    /// categorical feature of 3 levels.
    private let recording = PredictionRecording(driverNames: 6, interventions: 3, categoryLevels: [3])

    private func exampleRows() -> PredictionBlockBuilder {
        let b = recording.makeChunk(firstLine: 2)
        var second: UInt16 = PredictionBlock.categoryCode(index: 1, blank: false, levels: 3)
        var blank: UInt16 = PredictionBlock.categoryCode(index: -1, blank: true, levels: 3)
        Array("C001".utf8).withUnsafeBytes {
            b.append(lineOffset: 0, id: $0, score: RowScore(probability: 0.8125, riskScore: 81, riskLevel: .high, health: 22,
                                                            drivers: (4, 1, RowScore.noDriver), impacts: (1.25, 0.5, 0), intervention: 2),
                     categoryCodes: &second)
        }
        Array("C002".utf8).withUnsafeBytes {
            b.append(lineOffset: 1, id: $0, score: RowScore(probability: 0.0625, riskScore: 6, riskLevel: .low, health: 90,
                                                            drivers: (RowScore.noDriver, RowScore.noDriver, RowScore.noDriver),
                                                            impacts: (0, 0, 0), intervention: 0),
                     categoryCodes: &blank)
        }
        return b
    }

    private func columns(_ b: PredictionBlockBuilder) -> [[UInt8]] {
        var out: [[UInt8]] = []
        b.forEachColumn { out.append(Array($0)) }
        return out
    }

    func testTheProtoDocsExampleIsWhatABuilderMakesOfItsRows() {
        let b = exampleRows()
        let example = WireExamples.resultHistory
        XCTAssertEqual(columns(b), example.columns.map(Array.init))
        XCTAssertEqual(b.columnCount, example.columns.count)
        let p = b.parts
        XCTAssertEqual(p.rowCount, example.rowCount)
        XCTAssertEqual(p.firstLine, example.firstLine)
        XCTAssertEqual(p.lastLine, example.lastLine)
        XCTAssertEqual(p.linesConsecutive, example.linesConsecutive)
        XCTAssertEqual([p.levelCounts.low, p.levelCounts.medium, p.levelCounts.high],
                       [Int(example.lowCount), Int(example.mediumCount), Int(example.highCount)])
    }

    func testACopiedChunkSealsToTheSameBlobsAsTheOriginal() throws {
        let original = exampleRows()
        let chunk = WireExamples.resultHistory
        let shard = CompletedShard(index: 0, firstLine: 2,
                                   result: Message.ShardResult(shardId: 1, attempt: 0, rowCount: 2, csv: WireExamples.resultCSV[...],
                                                               history: chunk, aggregate: WireExamples.resultAggregate),
                                   poison: nil)
        let scored = try ShardResultFormatting.format(shard, recording: recording, topLimit: 1)
        XCTAssertEqual(scored.csv.array, WireExamples.resultCSV)
        let copy = try XCTUnwrap(scored.history)
        original.seal()
        copy.seal()
        XCTAssertEqual(Array(copy.scores.bytes), Array(original.scores.bytes))
        XCTAssertEqual(Array(copy.details.bytes), Array(original.details.bytes))
        XCTAssertEqual(Array(copy.ids.bytes), Array(original.ids.bytes))
        XCTAssertEqual(Array(copy.highIds.bytes), Array(original.highIds.bytes))
        XCTAssertEqual(Array(copy.hashes.bytes), Array(original.hashes.bytes))
        XCTAssertEqual(Array(copy.categories.bytes), Array(original.categories.bytes))
        XCTAssertTrue(copy.hasCategories)
        XCTAssertEqual(Array(copy.categories.bytes), [1, 3])
        XCTAssertEqual(copy.rowCount, 2)
    }

    private func result(history: HistoryChunk?) -> Message.ShardResult {
        Message.ShardResult(shardId: 1, attempt: 0, rowCount: 2, csv: WireExamples.resultCSV[...], history: history,
                            aggregate: WireExamples.resultAggregate)
    }

    func testAChunkThatDoesNotFitTheRunIsRefused() {
        let template = recording.makeChunk(firstLine: 0)
        XCTAssertNil(WorkerLink.historyProblem(result(history: WireExamples.resultHistory), template: template))
        XCTAssertNil(WorkerLink.historyProblem(result(history: nil), template: nil))
        XCTAssertNotNil(WorkerLink.historyProblem(result(history: nil), template: template))
        XCTAssertNotNil(WorkerLink.historyProblem(result(history: WireExamples.resultHistory), template: nil))

        var missing = WireExamples.resultHistory
        missing.columns.removeLast()
        XCTAssertTrue(WorkerLink.historyProblem(result(history: missing), template: template)?.contains("11 history columns") == true)

        var short = WireExamples.resultHistory
        short.columns[0] = short.columns[0].dropLast()
        XCTAssertTrue(WorkerLink.historyProblem(result(history: short), template: template)?.contains("'probabilities' has 7 bytes") == true)

        // Two-byte driver codes (a run with 300 driver names) do not fit a run of 6.
        let wide = PredictionRecording(driverNames: 300, interventions: 3, categoryLevels: [3]).makeChunk(firstLine: 0)
        XCTAssertNotNil(WorkerLink.historyProblem(result(history: WireExamples.resultHistory), template: wide))
        // Nor does a chunk of a run that records no category data (or whose feature has other levels).
        let noCategories = PredictionRecording(driverNames: 6, interventions: 3).makeChunk(firstLine: 0)
        XCTAssertNotNil(WorkerLink.historyProblem(result(history: WireExamples.resultHistory), template: noCategories))
        let wideCodes = PredictionRecording(driverNames: 6, interventions: 3, categoryLevels: [300]).makeChunk(firstLine: 0)
        XCTAssertTrue(WorkerLink.historyProblem(result(history: WireExamples.resultHistory), template: wideCodes)?
            .contains("'category 1' has 2 bytes") == true)
    }
}
