import ChurnCore
import ChurnStore
import Foundation

/// One page of a run's scored customers, read through ChurnStore's query API (the server writes no
/// SQL of its own). Query: `risk` (comma-separated levels), `sort` (`input`, `risk`, `-risk`), `q`
/// (id contains), `limit` (1…500), `cursor` (an opaque offset from the previous page).
struct CustomerTable {
    struct Query: Equatable {
        var levels: Set<RiskLevel>?
        var sort: String = "input"
        var search: String?
        var limit = 50
        var offset = 0
    }

    struct Page {
        var rows: [CustomerScore]
        var total: Int?
        var nextCursor: String?
    }

    static let sorts = ["input", "risk", "-risk"]

    static func parse(_ params: [String: String]) throws -> Query {
        var q = Query()
        if let risk = params["risk"], !risk.isEmpty {
            var levels = Set<RiskLevel>()
            for name in risk.split(separator: ",") {
                guard let level = RiskLevel(name: String(name)) else { throw QueryError("risk: '\(name)' is not low, medium or high") }
                levels.insert(level)
            }
            q.levels = levels
        }
        if let sort = params["sort"], !sort.isEmpty {
            guard sorts.contains(sort) else { throw QueryError("sort: '\(sort)' is not one of \(sorts.joined(separator: ", "))") }
            q.sort = sort
        }
        if let search = params["q"], !search.isEmpty { q.search = search }
        if let limit = params["limit"], !limit.isEmpty {
            guard let n = Int(limit), (1...500).contains(n) else { throw QueryError("limit: '\(limit)' is not a number from 1 to 500") }
            q.limit = n
        }
        if let cursor = params["cursor"], !cursor.isEmpty {
            guard let n = Int(cursor), n >= 0 else { throw QueryError("cursor: '\(cursor)' is not a cursor of this API") }
            q.offset = n
        }
        return q
    }

    static func page(_ store: RunStore, runId: Int64, _ q: Query) throws -> Page {
        let sort: CustomerQuery.Sort = q.sort == "risk" ? .probabilityDescending : q.sort == "-risk" ? .probabilityAscending : .inputOrder
        let page = try store.customerPage(CustomerQuery(runId: runId, levels: q.levels, idContains: q.search, sort: sort,
                                                        offset: q.offset, limit: q.limit))
        let next = q.offset + page.rows.count < page.totalMatching ? String(q.offset + page.rows.count) : nil
        return Page(rows: page.rows, total: page.totalMatching, nextCursor: next)
    }

    /// A customer's score as JSON.
    static func json(_ c: CustomerScore) -> [String: Any] {
        [
            "runId": c.runId,
            "line": c.line,
            "id": c.customerId,
            "probability": c.probability,
            "riskScore": c.riskScore,
            "riskLevel": c.riskLevel.name,
            "health": c.health,
            "drivers": c.drivers.map { ["name": $0.name, "impact": $0.impact] as [String: Any] },
            "intervention": c.intervention,
            "input": c.inputName,
            "runStartedAt": RunJSON.iso(c.runStartedAt),
        ]
    }
}

/// A query parameter the API cannot use; answers 400 with this message.
struct QueryError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
