import ChurnCore
import ChurnIO
import ChurnStore
import Foundation

/// The customers of a recorded run an offer goes to, each with the e-mail address the run saw.
///
/// The history keeps no addresses in its blocks. The run's summary keeps its top list
/// (`churn score --top`, default 10) with each customer's address, which covers `--top N` up to that
/// size. Any other customer's address is read from the run's input file, found by its line number,
/// when the file is still there, unchanged (same quick fingerprint as when it was scored) and CSV.
/// Otherwise the customer is listed as having no known address and is not sent anything.
public struct RunRecipients {
    let store: RunStore
    let run: RunRecord
    /// The input file's quick fingerprint as the history records it (`RunHistory.quickFingerprint`).
    let fingerprint: (String) -> String?
    private var inputTable: Table??
    private var emailColumn: Int?

    public init(store: RunStore, run: RunRecord, fingerprint: @escaping (String) -> String?) {
        self.store = store
        self.run = run
        self.fingerprint = fingerprint
    }

    /// The top list of the run's stored summary (`RunSummary` JSON, which carries the addresses).
    private var storedTop: [RankedCustomer] {
        get throws {
            struct Stored: Decodable { var top: [RankedCustomer]? }
            guard let json = run.summaryJSON else { return [] }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return (try decoder.decode(Stored.self, from: Data(json.utf8))).top ?? []
        }
    }

    public mutating func top(_ n: Int) throws -> [RankedCustomer] {
        let top = try storedTop
        if n <= top.count { return Array(top.prefix(n)) }
        let page = try store.customerPage(CustomerQuery(runId: run.id, sort: .probabilityDescending, offset: 0, limit: n))
        return try page.rows.map { try ranked($0, known: top) }
    }

    public mutating func customers(_ ids: [String]) throws -> [RankedCustomer] {
        let top = try storedTop
        var out: [RankedCustomer] = []
        var missing: [String] = []
        for id in ids {
            if let c = top.first(where: { $0.id == id }) {
                out.append(c)
            } else if let s = try store.history(customerId: id).first(where: { $0.runId == run.id }) {
                out.append(try ranked(s, known: top))
            } else {
                missing.append(id)
            }
        }
        guard missing.isEmpty else {
            throw RecipientError(message: "not in run \(run.id): \(missing.joined(separator: ", "))")
        }
        return out
    }

    private mutating func ranked(_ s: CustomerScore, known: [RankedCustomer]) throws -> RankedCustomer {
        var email = known.first(where: { $0.id == s.customerId })?.email
        if email == nil { email = try emailFromInput(line: s.line) }
        return RankedCustomer(line: s.line, id: s.customerId, email: email ?? "", revenue: nil, probability: s.probability,
                              riskScore: s.riskScore, riskLevel: s.riskLevel.name, health: s.health, drivers: s.drivers,
                              intervention: s.intervention, rankKey: s.probability)
    }

    /// The address in the input file's e-mail column on `line`; nil when the file is gone, changed,
    /// not CSV, or has no such column.
    private mutating func emailFromInput(line: UInt64) throws -> String? {
        if inputTable == nil {
            inputTable = .some(loadInput())
        }
        guard let table = inputTable!, let column = emailColumn,
              let row = table.lines.firstIndex(of: line), column < table.rows[row].count else { return nil }
        return table.rows[row][column]
    }

    private mutating func loadInput() -> Table? {
        let path = run.inputPath
        guard !InputFiles.isXLSX(path), let now = fingerprint(path),
              now == run.inputFingerprint, let table = try? CSVTableReader.read(path: path).table else { return nil }
        let modelEmail = (try? ModelFile.load(path: run.modelPath))?.model.emailColumn
        emailColumn = table.header.firstIndex(where: { $0 == modelEmail })
            ?? table.header.firstIndex(where: { ["email", "e-mail", "email_address"].contains($0.lowercased()) })
        return table
    }
}

/// Customers asked for who are not in the run.
public struct RecipientError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
