import ChurnCore
import ChurnStore
import Foundation

/// One page of a run's scored customers, read through ChurnStore's query API (the server writes no
/// SQL of its own). Query: `risk` (comma-separated levels), `sort` (`input`, `risk`, `-risk`), `q`
/// (id contains), `health_min` and `health_max` (0…100, inclusive), `intervention` (its exact text),
/// `cat.FEATURE` (a level of that categorical feature, `(blank)` or `(other)`; one per feature),
/// `limit` (1…500), `cursor` (an opaque offset from the previous page).
struct CustomerTable {
    struct Query: Equatable {
        var levels: Set<RiskLevel>?
        var sort: String = "input"
        var search: String?
        var healthMin: Int?
        var healthMax: Int?
        var intervention: String?
        /// Feature → value, from `cat.FEATURE` parameters.
        var categories: [String: String] = [:]
        var limit = 50
        var offset = 0
    }

    struct Page {
        var rows: [CustomerScore]
        var total: Int?
        var nextCursor: String?
        /// The run's categorical features (empty: the run has no category data).
        var categories: [CategoryLevels] = []
    }

    /// The query parameter prefix of a category filter.
    static let categoryPrefix = "cat."

    static let sorts = ["input", "risk", "-risk"]
    /// Every query parameter `parse` reads, besides `cat.FEATURE`.
    static let parameterNames = ["risk", "sort", "q", "health_min", "health_max", "intervention", "limit", "cursor"]

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
        for (name, bound) in [("health_min", \Query.healthMin), ("health_max", \Query.healthMax)] {
            if let text = params[name], !text.isEmpty {
                guard let n = Int(text), (0...100).contains(n) else { throw QueryError("\(name): '\(text)' is not a number from 0 to 100") }
                q[keyPath: bound] = n
            }
        }
        if let intervention = params["intervention"], !intervention.isEmpty { q.intervention = intervention }
        for (name, value) in params where name.hasPrefix(categoryPrefix) && !value.isEmpty {
            q.categories[String(name.dropFirst(categoryPrefix.count))] = value
        }
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
        try validateCategories(store, runId: runId, q.categories)
        let sort: CustomerQuery.Sort = q.sort == "risk" ? .probabilityDescending : q.sort == "-risk" ? .probabilityAscending : .inputOrder
        let page = try store.customerPage(CustomerQuery(runId: runId, levels: q.levels, idContains: q.search,
                                                        healthMin: q.healthMin, healthMax: q.healthMax,
                                                        intervention: q.intervention, categories: q.categories, sort: sort,
                                                        offset: q.offset, limit: q.limit))
        let next = q.offset + page.rows.count < page.totalMatching ? String(q.offset + page.rows.count) : nil
        return Page(rows: page.rows, total: page.totalMatching, nextCursor: next, categories: page.categories)
    }

    /// A category filter the run cannot answer is the caller's mistake: 400 with what it can answer.
    private static func validateCategories(_ store: RunStore, runId: Int64, _ wanted: [String: String]) throws {
        guard !wanted.isEmpty else { return }
        let features = try store.categories(runId: runId)
        guard !features.isEmpty else {
            throw QueryError("category filtering is not available for run \(runId): it has no category data "
                + "(its model has no categorical features, or it was recorded before history schema 3)")
        }
        for (feature, value) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let f = features.first(where: { $0.feature == feature }) else {
                throw QueryError("\(categoryPrefix)\(feature): not a categorical feature of run \(runId) (it has: "
                    + features.map(\.feature).joined(separator: ", ") + ")")
            }
            guard f.code(of: value) != nil else {
                throw QueryError("\(categoryPrefix)\(feature): '\(value)' is not one of "
                    + f.choices.joined(separator: ", "))
            }
        }
    }

    /// A run's categorical feature as JSON.
    static func json(_ f: CategoryLevels) -> [String: Any] {
        ["name": f.feature, "levels": f.levels, "choices": f.choices]
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
            "categories": Dictionary(c.categoryValues.map { ($0.feature, $0.value) }, uniquingKeysWith: { a, _ in a }),
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
