import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

/// Models and customer files for tests, made with the real trainer and generator.
public enum TestData {
    /// The repository's root (for `scripts/data/train.csv`).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A fresh temporary directory, removed when the test process exits (`ScratchDirectory`).
    public static func temporaryDirectory() -> String { ScratchDirectory.make("test").path }

    /// Trains a model on the committed training set and saves it in `directory`; returns its path.
    public static func trainModel(in directory: String) throws -> String {
        let (table, fingerprint) = try CSVTableReader.read(path: repositoryRoot.appendingPathComponent("scripts/data/train.csv").path)
        let model = try Trainer(options: .init(labelColumn: "churn_label")).train(table, fingerprint: fingerprint)
        let path = directory + "/model.json"
        try ModelFile.save(model, to: path)
        return path
    }

    /// Writes `rows` synthetic customers (no label) to `directory/name`; returns its path.
    public static func customers(rows: Int, seed: UInt64, in directory: String, name: String = "customers.csv") throws -> String {
        let path = directory + "/" + name
        _ = try DataGenerator.write(rows: rows, seed: seed, withLabel: false, to: path, threads: 2)
        return path
    }
}
