import ChurnCore
import Foundation
import Hummingbird

/// `POST /api/v1/predict`: the original system's bulk-predict endpoint. A JSON array of customer
/// records (objects keyed by column name) in, one prediction per record out, scored with the
/// model's own per-record path in ChurnCore, the same arithmetic as a scoring run.
enum BulkPredict {
    static func predict(_ body: Data, model: CompiledModel, maxRecords: Int) throws -> Data {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: body)
        } catch {
            throw HTTPError(.badRequest, message: "the body is not JSON: send an array of customer records")
        }
        guard let array = parsed as? [Any] else { throw HTTPError(.badRequest, message: "the body must be a JSON array of customer records") }
        guard array.count <= maxRecords else {
            throw HTTPError(.contentTooLarge, message: "\(array.count) records: at most \(maxRecords) a request")
        }
        var out: [[String: Any]] = []
        out.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let object = element as? [String: Any] else {
                throw HTTPError(.badRequest, message: "record \(index): not an object keyed by column name")
            }
            var record: [String: String] = [:]
            for (column, value) in object {
                switch value {
                case let s as String: record[column] = s
                case let n as NSNumber where String(cString: n.objCType) == "c":
                    throw HTTPError(.badRequest, message: "record \(index), column '\(column)': true/false is not a value of this model")
                case let n as NSNumber: record[column] = n.stringValue
                case is NSNull: record[column] = ""
                default: throw HTTPError(.badRequest, message: "record \(index), column '\(column)': give a string, a number or null")
                }
            }
            let score: RowScore
            do {
                score = try model.score(record: record)
            } catch {
                throw HTTPError(.badRequest, message: "record \(index): \(error)")
            }
            out.append([
                "probability": score.probability,
                "riskScore": Int(score.riskScore),
                "riskLevel": score.riskLevel.name,
                "health": Int(score.health),
                "drivers": score.driverList.map { ["name": model.driverNames[Int($0.index)], "impact": Double($0.impact)] as [String: Any] },
                "intervention": model.actions[Int(score.intervention)],
            ])
        }
        return try RunJSON.data(out)
    }
}
