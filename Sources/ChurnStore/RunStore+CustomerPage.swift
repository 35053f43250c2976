import CSQLite
import ChurnCore
import ChurnHistoryFormat
import Foundation

/// A question for one page of a run's customers, as a dashboard's customer table asks it.
public struct CustomerQuery: Sendable, Equatable {
    /// The order of the rows.
    public enum Sort: Sendable, Equatable {
        /// As in the input file.
        case inputOrder
        /// Riskiest first; equal probabilities in input order.
        case probabilityDescending
        /// Safest first; equal probabilities in input order.
        case probabilityAscending
    }

    public var runId: Int64
    /// Only these risk levels; nil for all.
    public var levels: Set<RiskLevel>?
    /// Only customers whose id contains this text (case-sensitive); nil or empty for all.
    public var idContains: String?
    /// Only customers whose health (0–100) is at least this; nil for no lower bound.
    public var healthMin: Int?
    /// Only customers whose health (0–100) is at most this; nil for no upper bound.
    public var healthMax: Int?
    /// Only customers given this intervention (its exact text); nil for all.
    public var intervention: String?
    /// Only customers with these categorical values: feature (input column) → a level's text, or
    /// `CategoryLevels.blankLabel` / `unseenLabel`. Empty for all. A run without category data
    /// cannot answer a non-empty one (`RunStore.categories(runId:)` is empty for it).
    public var categories: [String: String]
    public var sort: Sort
    public var offset: Int
    public var limit: Int

    public init(runId: Int64, levels: Set<RiskLevel>? = nil, idContains: String? = nil, healthMin: Int? = nil,
                healthMax: Int? = nil, intervention: String? = nil, categories: [String: String] = [:],
                sort: Sort = .inputOrder, offset: Int = 0, limit: Int = 50) {
        self.categories = categories
        self.runId = runId
        self.levels = levels
        self.idContains = idContains
        self.healthMin = healthMin
        self.healthMax = healthMax
        self.intervention = intervention
        self.sort = sort
        self.offset = offset
        self.limit = limit
    }
}

/// One page of the answer to a `CustomerQuery`.
public struct CustomerPage: Sendable, Equatable {
    /// The page's customers, in the query's order.
    public var rows: [CustomerScore]
    /// How many of the run's predictions match the filters, over all pages.
    public var totalMatching: Int
    /// The run's categorical features, in the order of `CustomerScore.categoryValues`; empty when
    /// the run has no category data.
    public var categories: [CategoryLevels] = []
}

extension RunStore {
    /// One page of a run's customers, filtered by risk level, id text, health range, intervention
    /// and category values, in input order or by probability. Works from the run's blocks: input
    /// order with a level filter reads the block table's per-level counts and decodes only the
    /// blocks on the page; a sort by probability reads the probability and level columns twice (a
    /// histogram finds the page's probability range, a second pass collects just that range). Row
    /// filters read only their own columns (ids, health, `actions`, `categories`; `details` for a
    /// schema-2 block's interventions), on two threads; the rows they keep (up to `keptLimit`) are
    /// remembered for the last filter asked, so the next pages of it cost no scan.
    public func customerPage(_ query: CustomerQuery) throws -> CustomerPage {
        try locked {
            guard query.offset >= 0, query.limit >= 0 else {
                throw StoreError(operation: "page of run \(query.runId)", message: "offset and limit must be 0 or more", path: path)
            }
            guard let run = try runInfoLocked(runId: query.runId) else {
                throw StoreError(operation: "page of run \(query.runId)", message: "no such run", path: path)
            }
            let strings = try stringsLocked(runId: query.runId)
            var levelMask: UInt8 = 0
            for l in query.levels ?? Set(RiskLevel.allCases) { levelMask |= 1 << l.rawValue }
            let needle = Array((query.idContains ?? "").utf8)
            var interventionCode: Int?
            if let wanted = query.intervention {
                // An intervention the run never gave matches no row.
                interventionCode = strings.interventions.firstIndex(of: wanted) ?? -1
            }
            var categoryCodes: [(feature: Int, code: UInt16)] = []
            if !query.categories.isEmpty {
                guard !strings.categories.isEmpty else {
                    throw StoreError(operation: "page of run \(query.runId)",
                                     message: "category filtering is not available for this run: it has no category data "
                                         + "(its model has no categorical features, or it was recorded before history schema 3)", path: path)
                }
                for (feature, value) in query.categories.sorted(by: { $0.key < $1.key }) {
                    guard let f = strings.categories.firstIndex(where: { $0.feature == feature }) else {
                        throw StoreError(operation: "page of run \(query.runId)",
                                         message: "'\(feature)' is not a categorical feature of this run (it has: "
                                             + strings.categories.map(\.feature).joined(separator: ", ") + ")", path: path)
                    }
                    guard let code = strings.categories[f].code(of: value) else {
                        throw StoreError(operation: "page of run \(query.runId)",
                                         message: "'\(value)' is not a value of \(feature) (it has: "
                                             + strings.categories[f].choices.joined(separator: ", ") + ")", path: path)
                    }
                    categoryCodes.append((f, UInt16(code)))
                }
            }
            let filter = RowFilter(levelMask: levelMask, needle: needle, healthMin: query.healthMin,
                                   healthMax: query.healthMax, interventionCode: interventionCode, categoryCodes: categoryCodes,
                                   categoryLevels: strings.categoryLevelCounts, interventionCount: strings.interventions.count)

            let blocks = try blockListLocked(runId: query.runId)
            let picked: [(block: Int, row: Int)]
            let total: Int
            if filter.hasRowFilters {
                // One scan applies the row filters (or none: the last query's answer); the page is
                // then placed from what it kept.
                let kept = try keptRowsLocked(query.runId, blocks: blocks, filter: filter, strings: strings)
                if kept.rows != nil {
                    (picked, total) = kept.page(levelMask: levelMask, sort: query.sort, offset: query.offset, limit: query.limit)
                } else if query.sort == .inputOrder {
                    (picked, total) = try kept.inputOrderPage(levelMask: levelMask, offset: query.offset, limit: query.limit) { b in
                        try levelColumnLocked(runId: query.runId, block: b)
                    }
                } else {
                    (picked, total) = try probabilityPageLocked(query, filter: filter, strings: strings, given: kept.matches)
                }
            } else {
                switch query.sort {
                case .inputOrder:
                    (picked, total) = try inputOrderPageLocked(query, blocks: blocks, filter: filter, strings: strings)
                case .probabilityDescending, .probabilityAscending:
                    (picked, total) = try probabilityPageLocked(query, filter: filter, strings: strings)
                }
            }
            // Decode each block on the page once.
            var decoded: [Int: DecodedBlock] = [:]
            var rows: [CustomerScore] = []
            rows.reserveCapacity(picked.count)
            for (b, r) in picked {
                if decoded[b] == nil {
                    guard let block = try decodedBlockLocked(runId: query.runId, block: b, strings: strings) else {
                        throw StoreError(operation: "page of run \(query.runId)", message: "block \(b) is missing", path: path)
                    }
                    decoded[b] = block
                }
                rows.append(Self.customerScore(decoded[b]!, row: r, run: run, strings: strings))
            }
            return CustomerPage(rows: rows, totalMatching: total, categories: strings.categories)
        }
    }

    /// What the row filters keep (rows of any level), from the cache when the last query asked
    /// the same of the same run, else from one scan: which rows of each block pass, how many per
    /// level, and the rows themselves when there are at most `keptLimit`.
    private func keptRowsLocked(_ runId: Int64, blocks: [BlockCounts], filter: RowFilter, strings: RunStrings) throws -> KeptRows {
        let key = CustomerMatchCache.Key(runId: runId, blocks: blocks.count, rows: blocks.reduce(0) { $0 + $1.rows },
                                         filter: filter.signature, keptLimit: Self.keptLimit)
        if matchCache.key == key, let rows = matchCache.rows { return rows }
        var all = filter
        all.levelMask = 0xFF
        var rows: [KeptRows.Row]? = []
        var matches: [Int: [Bool]] = [:]
        var counts: [(block: Int, low: Int, medium: Int, high: Int)] = []
        try scanLocked(runId: runId, filter: all, strings: strings) { block, scores, levels, blockMatches in
            guard let blockMatches else { return }
            var c = (block: block, low: 0, medium: 0, high: 0)
            for row in 0..<levels.count where blockMatches[row] {
                switch levels[row] {
                case 0: c.low += 1
                case 1: c.medium += 1
                default: c.high += 1
                }
                if rows != nil {
                    let bits = UInt32(littleEndian: scores.loadUnaligned(fromByteOffset: 4 * row, as: UInt32.self))
                    rows!.append(KeptRows.Row(bits: bits, block: Int32(block), row: Int32(row), level: levels[row]))
                }
            }
            if (rows?.count ?? 0) > Self.keptLimit { rows = nil }
            matches[block] = blockMatches
            counts.append(c)
        }
        let kept = KeptRows(rows: rows, matches: matches, counts: counts)
        matchCache = CustomerMatchCache(key: key, rows: kept)
        return kept
    }

    private func blockListLocked(runId: Int64) throws -> [BlockCounts] {
        let s = try db.prepare("""
            SELECT block, row_count, low_count, medium_count, high_count FROM prediction_blocks WHERE run_id = ? ORDER BY block
            """, "list blocks of run \(runId)")
        s.bind(1, runId)
        var out: [BlockCounts] = []
        while try s.step() {
            out.append(BlockCounts(block: Int(s.int64(0)), rows: Int(s.int64(1)), low: Int(s.int64(2)),
                                   medium: Int(s.int64(3)), high: Int(s.int64(4))))
        }
        return out
    }

    /// Calls `body` for every block of a run, in order, with its scores columns and, when the filter
    /// has row filters (id text, health, intervention, categories), which rows pass them. The row
    /// filters of a batch of blocks run on two threads.
    private func scanLocked(runId: Int64, filter: RowFilter, strings: RunStrings,
                            _ body: (_ block: Int, _ scores: UnsafeRawBufferPointer, _ levels: UnsafeRawBufferPointer,
                                     _ rowMatches: [Bool]?) throws -> Void) throws {
        let withIds = !filter.needle.isEmpty
        let withCodes = filter.interventionCode != nil || !filter.categoryCodes.isEmpty
        let s = try db.prepare("""
            SELECT block, row_count, scores\(withIds ? ", ids" : ", NULL")\(filter.interventionCode != nil ? ", details" : ", NULL")
            FROM prediction_blocks WHERE run_id = ? ORDER BY block
            """, "scan run \(runId)")
        s.bind(1, runId)
        // The codes table in step with the blocks; a schema-2 block has no row there.
        let codes = withCodes ? try db.prepare("SELECT block, actions, categories FROM prediction_codes WHERE run_id = ? ORDER BY block",
                                               "scan run \(runId)") : nil
        codes?.bind(1, runId)
        var codesBlock = -1
        if let codes { codesBlock = try codes.step() ? Int(codes.int64(0)) : Int.max }

        guard filter.hasRowFilters else {
            while try s.step() {
                let block = Int(s.int64(0)), n = Int(s.int64(1))
                guard let columns = try? DecodedBlock.scores(s.blob(2), rowCount: n) else {
                    throw StoreError(operation: "scan run \(runId)", message: "block \(block) is damaged", path: path)
                }
                try body(block, columns.probabilities, columns.levels, nil)
            }
            return
        }
        // Row filters: copy a batch of blocks' columns, filter them on two threads, then hand them
        // on in order.
        var batch: [BlockColumns] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            var results = [Result<[Bool], Error>](repeating: .success([]), count: batch.count)
            let items = batch
            results.withUnsafeMutableBufferPointer { out in
                let out = UncheckedPointer(out)
                DispatchQueue.concurrentPerform(iterations: 2) { half in
                    for i in stride(from: half, to: items.count, by: 2) {
                        out.buffer[i] = Result { try filter.rowMatches(items[i]) }
                    }
                }
            }
            for (item, result) in zip(batch, results) {
                let matches: [Bool]
                do {
                    matches = try result.get()
                } catch is ByteSource.Damaged {
                    throw StoreError(operation: "scan run \(runId)", message: "block \(item.block) is damaged", path: path)
                }
                try item.scores.withUnsafeBytes { raw in
                    guard let columns = try? DecodedBlock.scores(raw, rowCount: item.rows) else {
                        throw StoreError(operation: "scan run \(runId)", message: "block \(item.block) is damaged", path: path)
                    }
                    try body(item.block, columns.probabilities, columns.levels, matches)
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
        while try s.step() {
            let block = Int(s.int64(0))
            var item = BlockColumns(block: block, rows: Int(s.int64(1)), scores: Array(s.blob(2)))
            if withIds { item.ids = Array(s.blob(3)) }
            if let codes {
                while codesBlock < block { codesBlock = try codes.step() ? Int(codes.int64(0)) : Int.max }
                if codesBlock == block {
                    item.actions = Array(codes.blob(1))
                    if !codes.isNull(2) { item.categories = Array(codes.blob(2)) }
                }
            }
            if filter.interventionCode != nil && item.actions == nil { item.details = Array(s.blob(4)) }
            if !filter.categoryCodes.isEmpty && item.categories == nil {
                throw StoreError(operation: "scan run \(runId)", message: "block \(block) has no category data", path: path)
            }
            batch.append(item)
            if batch.count == 16 { try flush() }
        }
        try flush()
    }

    private func inputOrderPageLocked(_ query: CustomerQuery, blocks: [BlockCounts], filter: RowFilter, strings: RunStrings) throws
        -> ([(block: Int, row: Int)], Int) {
        if !filter.hasRowFilters {
            // The per-level counts place the page without reading any block.
            let total = blocks.reduce(0) { $0 + filter.matching($1) }
            var skip = query.offset
            var picked: [(block: Int, row: Int)] = []
            for b in blocks where picked.count < query.limit {
                let m = filter.matching(b)
                if skip >= m {
                    skip -= m
                    continue
                }
                let levels = try levelColumnLocked(runId: query.runId, block: b.block)
                for row in 0..<levels.count where filter.keeps(level: levels[row]) {
                    if skip > 0 {
                        skip -= 1
                        continue
                    }
                    picked.append((b.block, row))
                    if picked.count == query.limit { break }
                }
            }
            return (picked, total)
        }
        var total = 0
        var picked: [(block: Int, row: Int)] = []
        try scanLocked(runId: query.runId, filter: filter, strings: strings) { block, _, levels, matches in
            for row in 0..<levels.count where filter.keeps(level: levels[row]) && matches?[row] != false {
                if total >= query.offset && picked.count < query.limit { picked.append((block, row)) }
                total += 1
            }
        }
        return (picked, total)
    }

    private func levelColumnLocked(runId: Int64, block: Int) throws -> [UInt8] {
        let s = try db.prepare("SELECT row_count, scores FROM prediction_blocks WHERE run_id = ? AND block = ?",
                               "read block \(block) of run \(runId)")
        s.bind(1, runId)
        s.bind(2, block)
        guard try s.step() else { return [] }
        do {
            return Array(try DecodedBlock.scores(s.blob(1), rowCount: Int(s.int64(0))).levels)
        } catch {
            throw StoreError(operation: "read block \(block) of run \(runId)", message: "the block is damaged", path: path)
        }
    }

    /// Probabilities in [0, 1] as Float32 bit patterns sort like the numbers; their top 16 bits make
    /// a histogram small enough to stay in cache, and fine enough (1/256 near 1) that the page's
    /// range holds few rows beyond the page.
    private static let keyShift: UInt32 = 16
    /// Rows an id search keeps from its one pass before falling back to two.
    nonisolated(unsafe) static var keptLimit = 1 << 20
    /// The deepest page (offset + limit) a sort by probability without row filters finds in one pass.
    nonisolated(unsafe) static var frontLimit = 100_000
    /// Rows beyond 4 × (offset + limit) that pass may hold before it drops those past `frontMax`.
    nonisolated(unsafe) static var frontSlack = 65_536

    /// - Parameter given: which rows pass the row filters, when already known (`keptRowsLocked`):
    ///   the scans then read only the scores.
    private func probabilityPageLocked(_ query: CustomerQuery, filter: RowFilter, strings: RunStrings,
                                       given: [Int: [Bool]]? = nil) throws -> ([(block: Int, row: Int)], Int) {
        let descending = query.sort == .probabilityDescending
        let keyCount = 1 << (32 - Int(Self.keyShift))
        @inline(__always) func sortKey(_ bits: UInt32) -> Int {
            // Negative values (sign bit) cannot be probabilities; they sort as 0.
            let k = bits & 0x8000_0000 != 0 ? 0 : Int(bits >> Self.keyShift)
            return descending ? keyCount - 1 - k : k
        }
        // Pass 1: how many matching rows per key. A row filter usually keeps few rows: those are
        // kept outright (up to `keptLimit`), and the second pass is not needed.
        var histogram = [Int32](repeating: 0, count: keyCount)
        var rowMatches: [Int: [Bool]] = given ?? [:]
        let scanFilter = given == nil ? filter : filter.withoutRowFilters
        var kept: [(bits: UInt32, block: Int, row: Int)]? = scanFilter.hasRowFilters ? [] : nil
        // Without row filters, a page near the front is found in this pass too: every row whose key
        // is at most `frontMax` is kept, and `frontMax` drops as soon as the rows seen at or below
        // it reach offset + limit, so it only ever leaves out rows that come after the page.
        let need = query.offset + query.limit
        var front: [(bits: UInt32, block: Int, row: Int)]? = !scanFilter.hasRowFilters && need <= Self.frontLimit ? [] : nil
        var frontMax = keyCount - 1
        var within = 0
        try scanLocked(runId: query.runId, filter: scanFilter, strings: strings) { block, scores, levels, scanned in
            if let scanned { rowMatches[block] = scanned }
            let matches = scanned ?? given?[block]
            histogram.withUnsafeMutableBufferPointer { hist in
                for row in 0..<levels.count where filter.keeps(level: levels[row]) && matches?[row] != false {
                    let bits = UInt32(littleEndian: scores.loadUnaligned(fromByteOffset: 4 * row, as: UInt32.self))
                    let key = sortKey(bits)
                    hist[key] += 1
                    if front != nil && key <= frontMax {
                        front!.append((bits, block, row))
                        within += 1
                        while frontMax > 0 && within - Int(hist[frontMax]) >= need {
                            within -= Int(hist[frontMax])
                            frontMax -= 1
                        }
                        if front!.count > 4 * need + Self.frontSlack {
                            let limit = frontMax
                            front!.removeAll { sortKey($0.bits) > limit }
                        }
                    }
                    if kept != nil {
                        kept!.append((bits, block, row))
                        if kept!.count > Self.keptLimit {
                            // Too many to keep: remember the matches and make a second pass.
                            kept = nil
                        }
                    }
                }
            }
        }
        let total = histogram.reduce(0) { $0 + Int($1) }
        guard query.limit > 0, query.offset < total else { return ([], total) }
        var range: [(bits: UInt32, block: Int, row: Int)]
        var before = 0
        if let kept {
            range = kept
        } else if let front {
            range = front
        } else {
            // The keys holding ranks offset ..< offset + limit, and how many rows come before them.
            let last = min(total, query.offset + query.limit) - 1
            var k = 0
            while before + Int(histogram[k]) <= query.offset {
                before += Int(histogram[k])
                k += 1
            }
            let firstKey = k
            var upTo = before
            while upTo + Int(histogram[k]) <= last {
                upTo += Int(histogram[k])
                k += 1
            }
            let lastKey = k
            // Pass 2: the rows in that key range, sorted exactly; row filters are not applied again.
            range = []
            try scanLocked(runId: query.runId, filter: filter.withoutRowFilters, strings: strings) { block, scores, levels, _ in
                let matches = filter.hasRowFilters ? rowMatches[block] : nil
                for row in 0..<levels.count where filter.keeps(level: levels[row]) && matches?[row] != false {
                    let bits = UInt32(littleEndian: scores.loadUnaligned(fromByteOffset: 4 * row, as: UInt32.self))
                    let key = sortKey(bits)
                    if key >= firstKey && key <= lastKey { range.append((bits, block, row)) }
                }
            }
        }
        range.sort { a, b in
            if a.bits != b.bits {
                let pa = Float(bitPattern: a.bits), pb = Float(bitPattern: b.bits)
                return descending ? pa > pb : pa < pb
            }
            return a.block != b.block ? a.block < b.block : a.row < b.row
        }
        let start = query.offset - before
        let end = min(range.count, start + query.limit)
        return (range[start..<end].map { ($0.block, $0.row) }, total)
    }
}

/// Which rows a query keeps.
private struct RowFilter: Sendable {
    var levelMask: UInt8
    var needle: [UInt8]
    var healthMin: Int?
    var healthMax: Int?
    /// The intervention's code in the run's strings; -1 when the run never gave it.
    var interventionCode: Int?
    /// Wanted code per categorical feature (index into `categoryLevels`).
    var categoryCodes: [(feature: Int, code: UInt16)]
    var categoryLevels: [Int]
    var interventionCount: Int

    /// The same levels, no row filters.
    var withoutRowFilters: RowFilter {
        var plain = self
        plain.needle = []
        plain.healthMin = nil
        plain.healthMax = nil
        plain.interventionCode = nil
        plain.categoryCodes = []
        return plain
    }

    /// What the row filters ask (levels aside), as a cache key.
    var signature: String {
        "\(needle)|\(healthMin ?? -1)|\(healthMax ?? -1)|\(interventionCode ?? -2)|"
            + categoryCodes.map { "\($0.feature)=\($0.code)" }.joined(separator: ",")
    }

    /// Whether rows must be read to be filtered (the block table's level counts do not suffice).
    var hasRowFilters: Bool {
        !needle.isEmpty || healthMin != nil || healthMax != nil || interventionCode != nil || !categoryCodes.isEmpty
    }

    /// Which rows of a block pass the row filters.
    func rowMatches(_ item: BlockColumns) throws -> [Bool] {
        let n = item.rows
        var m = try item.ids.map { ids in try ids.withUnsafeBytes { try idMatches($0, rowCount: n) ?? [] } }
            ?? [Bool](repeating: true, count: n)
        if m.count != n { m = [Bool](repeating: true, count: n) }
        if healthMin != nil || healthMax != nil {
            try item.scores.withUnsafeBytes { raw in
                let healths = try DecodedBlock.scores(raw, rowCount: n).healths
                for row in 0..<n where m[row] && !keeps(health: healths[row]) { m[row] = false }
            }
        }
        if let code = interventionCode {
            let actions: [UInt16]
            if let blob = item.actions {
                actions = try blob.withUnsafeBytes { try DecodedBlock.actions($0, details: UnsafeRawBufferPointer(start: nil, count: 0),
                                                                              rowCount: n, interventions: interventionCount) }
            } else {
                actions = try (item.details ?? []).withUnsafeBytes {
                    try DecodedBlock.actions(nil, details: $0, rowCount: n, interventions: interventionCount)
                }
            }
            for row in 0..<n where m[row] && Int(actions[row]) != code { m[row] = false }
        }
        for (feature, code) in categoryCodes {
            let column = try (item.categories ?? []).withUnsafeBytes {
                try DecodedBlock.categoryColumn($0, rowCount: n, levels: categoryLevels, feature: feature)
            }
            for row in 0..<n where m[row] && column[row] != code { m[row] = false }
        }
        return m
    }

    @inline(__always) func keeps(level: UInt8) -> Bool { level < 8 && levelMask & (1 << level) != 0 }

    @inline(__always) func keeps(health: UInt8) -> Bool {
        (healthMin.map { Int(health) >= $0 } ?? true) && (healthMax.map { Int(health) <= $0 } ?? true)
    }

    func matching(_ counts: BlockCounts) -> Int {
        (keeps(level: 0) ? counts.low : 0) + (keeps(level: 1) ? counts.medium : 0) + (keeps(level: 2) ? counts.high : 0)
    }

    /// Rows of a block whose ids contain the needle (every row when there is none).
    /// Works on the front-coded column without materialising the ids: an id whose shared prefix
    /// holds the previous id's earliest-ending match matches too; otherwise only the window that
    /// overlaps its new suffix is searched.
    func idMatches(_ ids: UnsafeRawBufferPointer, rowCount n: Int) throws -> [Bool]? {
        guard !needle.isEmpty else { return nil }
        let m = needle.count
        var out = [Bool](repeating: false, count: n)
        var capacity = 256
        var current = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { current.deallocate() }
        var length = 0
        var previousEnd = Int.max  // end of the previous id's earliest-ending match, or none
        var s = ByteSource(ids)
        try needle.withUnsafeBytes { pin in
            for i in 0..<n {
                let shared = Int(try s.varint())
                let suffix = Int(try s.varint())
                guard shared <= length else { throw ByteSource.Damaged() }
                let tail = try s.take(suffix)
                if shared + suffix > capacity {
                    capacity = 2 * (shared + suffix)
                    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                    bigger.update(from: current, count: shared)
                    current.deallocate()
                    current = bigger
                }
                if suffix > 0 { memcpy(current + shared, tail.baseAddress!, suffix) }
                length = shared + suffix
                var end = Int.max
                if previousEnd <= shared {
                    end = previousEnd
                } else {
                    let window = UnsafeRawBufferPointer(start: current, count: length)
                    if let at = find(pin, in: window, from: max(0, shared - m + 1)) { end = at + m }
                }
                out[i] = end != Int.max
                previousEnd = end
            }
        }
        return out
    }
}

/// The first position at or after `from` where `needle` (not empty) occurs in `hay`.
private func find(_ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer, from: Int) -> Int? {
    let n = needle.count
    guard from + n <= hay.count else { return nil }
    if hay.count - from < 64 {
        // Ids are short: a plain loop beats a memchr call per id.
        let h = hay.baseAddress!.assumingMemoryBound(to: UInt8.self), p = needle.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let first = p[0]
        var at = from
        while at + n <= hay.count {
            if h[at] == first {
                var k = 1
                while k < n && h[at + k] == p[k] { k += 1 }
                if k == n { return at }
            }
            at += 1
        }
        return nil
    }
    let first = Int32(needle[0])
    var at = from
    while at + n <= hay.count {
        guard let p = memchr(hay.baseAddress! + at, first, hay.count - n + 1 - at) else { return nil }
        let i = hay.baseAddress!.distance(to: UnsafeRawPointer(p))
        if memcmp(hay.baseAddress! + i, needle.baseAddress!, n) == 0 { return i }
        at = i + 1
    }
    return nil
}

/// The last row filter's answer, for the next pages of it (`RunStore.matchCache`).
struct CustomerMatchCache {
    struct Key: Equatable {
        var runId: Int64
        /// A run still being written grows: its answer is then asked again.
        var blocks: Int
        var rows: Int
        var filter: String
        var keptLimit: Int
    }
    var key: Key?
    var rows: KeptRows?
}

/// The rows a row filter kept, in input order, with what a page needs to order them.
final class KeptRows {
    struct Row {
        var bits: UInt32
        var block: Int32
        var row: Int32
        var level: UInt8
    }
    /// The rows themselves; nil when there are more than `RunStore.keptLimit`.
    let rows: [Row]?
    /// Which rows of each block pass, and how many per level, in block order.
    let matches: [Int: [Bool]]
    let counts: [(block: Int, low: Int, medium: Int, high: Int)]
    /// The rows' positions sorted by probability, by direction (descending: true; equal ones in
    /// input order); each made on first use.
    private var sorted: [Bool: [Int32]] = [:]

    init(rows: [Row]?, matches: [Int: [Bool]], counts: [(block: Int, low: Int, medium: Int, high: Int)]) {
        self.rows = rows
        self.matches = matches
        self.counts = counts
    }

    /// A page in input order from the per-level counts, reading the levels of the page's blocks only.
    func inputOrderPage(levelMask: UInt8, offset: Int, limit: Int, levels: (Int) throws -> [UInt8]) rethrows
        -> ([(block: Int, row: Int)], Int) {
        @inline(__always) func keeps(_ level: UInt8) -> Bool { level < 8 && levelMask & (1 << level) != 0 }
        var total = 0
        var picked: [(block: Int, row: Int)] = []
        for c in counts {
            let n = (keeps(0) ? c.low : 0) + (keeps(1) ? c.medium : 0) + (keeps(2) ? c.high : 0)
            if picked.count < limit && total + n > offset, let m = matches[c.block] {
                let column = try levels(c.block)
                var seen = total
                for row in 0..<min(column.count, m.count) where m[row] && keeps(column[row]) {
                    if seen >= offset && picked.count < limit { picked.append((c.block, row)) }
                    seen += 1
                }
            }
            total += n
        }
        return (picked, total)
    }

    func page(levelMask: UInt8, sort: CustomerQuery.Sort, offset: Int, limit: Int) -> ([(block: Int, row: Int)], Int) {
        let rows = self.rows ?? []
        @inline(__always) func keeps(_ r: Row) -> Bool { r.level < 8 && levelMask & (1 << r.level) != 0 }
        var order: [Int32]
        switch sort {
        case .inputOrder:
            order = []
        case .probabilityDescending, .probabilityAscending:
            let descendingOrder = sort == .probabilityDescending
            if let cached = sorted[descendingOrder] {
                order = cached
            } else {
                // Probabilities in [0, 1] as Float32 bits sort like the numbers: one UInt64 per row,
                // the (flipped, for descending) bits above the row's position, sorts without a closure.
                var keys = [UInt64](repeating: 0, count: rows.count)
                for (i, r) in rows.enumerated() {
                    let bits = r.bits & 0x8000_0000 != 0 ? 0 : r.bits  // as the scan's histogram: negatives as 0
                    keys[i] = UInt64(descendingOrder ? ~bits : bits) << 32 | UInt64(i)
                }
                keys.sort()
                order = keys.map { Int32(truncatingIfNeeded: $0) }
                sorted[descendingOrder] = order
            }
        }
        var total = 0
        var picked: [(block: Int, row: Int)] = []
        func visit(_ r: Row) {
            guard keeps(r) else { return }
            if total >= offset && picked.count < limit { picked.append((Int(r.block), Int(r.row))) }
            total += 1
        }
        if sort == .inputOrder { for r in rows { visit(r) } } else { for i in order { visit(rows[Int(i)]) } }
        return (picked, total)
    }
}

/// One block's columns copied out of SQLite, for filtering off the reading thread.
private struct BlockColumns: Sendable {
    var block: Int
    var rows: Int
    var scores: [UInt8]
    var ids: [UInt8]? = nil
    var details: [UInt8]? = nil
    var actions: [UInt8]? = nil
    var categories: [UInt8]? = nil
}

/// A buffer that two threads fill at disjoint indices.
private struct UncheckedPointer<T>: @unchecked Sendable {  // each index written by one thread only
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

private struct BlockCounts {
    var block: Int
    var rows: Int
    var low: Int
    var medium: Int
    var high: Int
}

