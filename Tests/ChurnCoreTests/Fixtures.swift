import ChurnCore
import Foundation

/// Shared test data: the committed training set, parsed without ChurnIO (a minimal CSV split is
/// enough for this file, which has no quoted fields).
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func table(_ name: String) -> Table {
        let text = try! String(contentsOf: repositoryRoot.appendingPathComponent("scripts/data/\(name)"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return Table(name: name, header: header, rows: rows, lines: (0..<UInt64(rows.count)).map { $0 + 2 })
    }

    static let trainedModel: ChurnModel = {
        try! Trainer(options: .init(labelColumn: "churn_label", createdAt: Date(timeIntervalSince1970: 0)))
            .train(table("train.csv"), fingerprint: DataFingerprint(file: "train.csv", bytes: 0, fnv1a64: "0"))
    }()

    /// A customer at the training medians of every numeric column, in the most common category.
    static func typicalCustomer(_ model: ChurnModel) -> [String: String] {
        var record: [String: String] = [:]
        for f in model.numeric { record[f.column] = String(f.median) }
        for f in model.categorical { record[f.column] = f.categories.max { $0.frequency < $1.frequency }!.value }
        return record
    }
}
