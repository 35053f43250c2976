import ChurnCore
import ChurnHistoryFormat
import ChurnIO
import Foundation

/// Parses and scores whole CSV records straight from bytes: no String per field, no allocation per
/// row. One instance per thread (it owns scratch buffers).
public final class ShardScorer {
    public let model: CompiledModel
    public let binding: ColumnBinding
    public let rankBy: RankBy
    public let topLimit: Int
    /// The longest customer id scored. A result row carries its id with a u16 length on the wire, so
    /// a longer id is rejected on every path alike, keeping cluster and in-process results identical.
    public static let maxIdBytes = 65_535

    private let numeric: UnsafeMutablePointer<Double>
    private let categories: UnsafeMutablePointer<Int32>
    /// The row's category codes for the history (`PredictionBlock.categoryCode`), and each
    /// categorical feature's level count.
    private let categoryCodes: UnsafeMutablePointer<UInt16>
    private let categoryLevels: UnsafeMutablePointer<Int>
    /// Per input field: what it feeds, as `kind << 24 | index` (see `Kind`).
    private let roles: UnsafeMutablePointer<Int32>
    /// Drift counts of the records being scored (`CompiledModel.driftSlot`, unseen per categorical
    /// feature), added to the aggregate once per call.
    private let driftBins: UnsafeMutablePointer<UInt64>
    private let driftUnseen: UnsafeMutablePointer<UInt64>
    private var scratch: [UInt8] = []
    private var idText: [UInt8] = []
    private let fieldCount: Int

    private enum Kind: Int32 {
        case unused = 0, numeric, categorical, revenue
    }

    public init(model: CompiledModel, binding: ColumnBinding, rankBy: RankBy, topLimit: Int) {
        self.model = model
        self.binding = binding
        self.rankBy = rankBy
        self.topLimit = topLimit
        numeric = .allocate(capacity: max(1, model.numericCount))
        numeric.initialize(repeating: 0, count: max(1, model.numericCount))
        categories = .allocate(capacity: max(1, model.categoricalCount))
        categories.initialize(repeating: -1, count: max(1, model.categoricalCount))
        categoryCodes = .allocate(capacity: max(1, model.categoricalCount))
        categoryCodes.initialize(repeating: 0, count: max(1, model.categoricalCount))
        categoryLevels = .allocate(capacity: max(1, model.categoricalCount))
        categoryLevels.initialize(repeating: 0, count: max(1, model.categoricalCount))
        for (f, levels) in model.categoryBytes.enumerated() { categoryLevels[f] = levels.count }
        fieldCount = binding.header.count
        roles = .allocate(capacity: max(1, fieldCount))
        for (k, role) in binding.roles.enumerated() {
            switch role {
            case .numeric(let j): roles[k] = Kind.numeric.rawValue << 24 | Int32(j)
            case .categorical(let f): roles[k] = Kind.categorical.rawValue << 24 | Int32(f)
            case .revenue: roles[k] = Kind.revenue.rawValue << 24
            case .id, .email, .unused: roles[k] = 0
            }
        }
        driftBins = .allocate(capacity: max(1, model.driftSlotCount))
        driftUnseen = .allocate(capacity: max(1, model.categoricalCount))
        scratch.reserveCapacity(256)
        idText.reserveCapacity(32)
    }

    deinit {
        numeric.deallocate()
        categories.deallocate()
        categoryCodes.deallocate()
        categoryLevels.deallocate()
        roles.deallocate()
        driftBins.deallocate()
        driftUnseen.deallocate()
    }

    /// A fresh aggregate with this scorer's top-list size.
    public func makeAggregate() -> ScoreAggregate { ScoreAggregate(topLimit: topLimit) }

    /// Scores every record in `rows` (whole records; the first starts on `firstLine`), passing each
    /// scored row to `sink` and counting it, and every rejected row, into `aggregate`.
    public func score<Sink: ScoredRowSink>(_ rows: UnsafeRawBufferPointer, firstLine: UInt64, sink: inout Sink,
                                           aggregate: inout ScoreAggregate) {
        var scanner = CSVRecordScanner(rows, firstLine: firstLine)
        defer { scanner.deallocate() }
        let idField = binding.idField ?? -1
        let revenueField = binding.revenueField ?? -1
        let revenueFeature = binding.revenueFeature ?? -1
        let numeric = self.numeric, categories = self.categories, categoryCodes = self.categoryCodes
        let driftBins = self.driftBins, driftUnseen = self.driftUnseen
        let categoricalCount = model.categoricalCount, hasDriftBins = model.driftSlotCount > 0
        driftBins.initialize(repeating: 0, count: max(1, model.driftSlotCount))
        driftUnseen.initialize(repeating: 0, count: max(1, categoricalCount))
        defer { addDrift(to: &aggregate) }
        while !scanner.atEnd {
            let (line, error) = scanner.nextRecord()
            if let error {
                aggregate.reject(RejectedRow(line: line, reason: RowRejection.describe(error)))
                continue
            }
            let count = scanner.fieldCount
            if count == 0 { continue }  // blank line
            if count != fieldCount {
                if count == 1 && Self.isBlank(scanner.bytes(0)) { continue }
                aggregate.reject(RejectedRow(line: line, reason: RowRejection.fieldCount(expected: fieldCount, found: count)))
                continue
            }
            if idField >= 0, scanner.bytes(idField).count > Self.maxIdBytes {
                let length = withFieldBytes(scanner, idField, trim: false) { $0.count }
                if length > Self.maxIdBytes {
                    aggregate.reject(RejectedRow(line: line, reason: RowRejection.idTooLong(
                        column: idField + 1, name: binding.header[idField], length: length, limit: Self.maxIdBytes)))
                    continue
                }
            }
            guard var revenue = readFields(scanner, line: line, aggregate: &aggregate) else { continue }
            // Drift counts the accepted rows only, with blanks at the median as they are scored.
            if hasDriftBins { model.countDrift(numeric: numeric, into: driftBins) }
            for f in 0..<categoricalCount where categories[f] < 0 { driftUnseen[f] &+= 1 }
            if revenueFeature >= 0 { revenue = numeric[revenueFeature] } else if revenueField < 0 { revenue = .nan }
            let s = model.score(numeric: numeric, categories: categories, revenue: revenue)
            aggregate.count(s, revenue: revenue)
            let key = rankBy.key(probability: s.probability, health: s.health, revenue: revenue)
            if aggregate.wouldEnterTop(key: key, line: line) {
                aggregate.insertTop(rankedCustomer(scanner, line: line, score: s, revenue: revenue, key: key))
            }
            let offset = UInt32(truncatingIfNeeded: line &- firstLine)
            if idField >= 0 {
                withFieldBytes(scanner, idField, trim: false) { sink.append(lineOffset: offset, id: $0, score: s, categoryCodes: categoryCodes) }
            } else {
                lineText(line)
                idText.withUnsafeBytes { sink.append(lineOffset: offset, id: $0, score: s, categoryCodes: categoryCodes) }
            }
        }
    }

    /// Parses the current record's fields into `numeric`, `categories` and `categoryCodes`: the
    /// record's revenue field's value (NaN without one), or nil when the row was rejected (then
    /// counted in `aggregate`). Not generic over the sink, so that the parsers inline here.
    @inline(never)
    private func readFields(_ scanner: CSVRecordScanner, line: UInt64, aggregate: inout ScoreAggregate) -> Double? {
        let numeric = self.numeric, categories = self.categories, roles = self.roles
        let categoryCodes = self.categoryCodes, categoryLevels = self.categoryLevels
        let end = UnsafeRawPointer(scanner.base + scanner.count)
        var revenue = Double.nan
        for k in 0..<fieldCount {
            let role = roles[k]
            let index = Int(role & 0xFF_FFFF)
            switch role >> 24 {
            case Kind.numeric.rawValue:
                let bytes = scanner.bytes(k)
                if let v = NumberParser.parse(bytes) {
                    guard NumericRange.accepts(v) else {
                        aggregate.reject(RejectedRow(line: line, reason: RowRejection.outOfRange(
                            column: k + 1, name: binding.header[k], text: scanner.string(k))))
                        return nil
                    }
                    numeric[index] = v
                } else if Self.isBlank(bytes) {
                    numeric[index] = model.median(index)
                    aggregate.imputedCells &+= 1
                } else {
                    aggregate.reject(RejectedRow(line: line, reason: RowRejection.notANumber(
                        column: k + 1, name: binding.header[k], text: scanner.string(k))))
                    return nil
                }
            case Kind.categorical.rawValue:
                let c: Int32, blank: Bool
                if scanner.fields[k].hasEscapes {
                    (c, blank) = withFieldBytes(scanner, k, trim: true) { (model.categoryIndex(feature: index, bytes: $0), $0.isEmpty) }
                } else {
                    // Straight from the record's buffer: the word compare may read past the value.
                    let bytes = Self.trimmed(scanner.bytes(k))
                    let readable = bytes.baseAddress.map { end - $0 } ?? 0
                    c = model.categoryIndex(feature: index, bytes: bytes, readable: readable)
                    blank = bytes.isEmpty
                }
                categories[index] = c
                categoryCodes[index] = PredictionBlock.categoryCode(index: c, blank: blank, levels: categoryLevels[index])
                if c < 0 { aggregate.unseenCategories &+= 1 }
            case Kind.revenue.rawValue:
                revenue = NumericRange.number(scanner.bytes(k)) ?? .nan
            default:
                break
            }
        }
        return revenue
    }

    private func addDrift(to aggregate: inout ScoreAggregate) {
        var counts = DriftCounts(numericBins: Array(UnsafeBufferPointer(start: driftBins, count: model.driftSlotCount)),
                                 unseenCategories: Array(UnsafeBufferPointer(start: driftUnseen, count: model.categoricalCount)))
        if let existing = aggregate.drift { counts.merge(existing) }
        aggregate.drift = counts
    }

    @inline(__always)
    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for b in bytes where b != 0x20 && b != 0x09 { return false }
        return true
    }

    /// Calls `body` with field `k`'s bytes, doubled quotes undone and optionally spaces trimmed.
    @inline(__always)
    private func withFieldBytes<R>(_ scanner: CSVRecordScanner, _ k: Int, trim: Bool, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var bytes = scanner.bytes(k)
        if scanner.fields[k].hasEscapes {
            scratch.removeAll(keepingCapacity: true)
            var i = 0
            while i < bytes.count {
                scratch.append(bytes[i])
                i += (bytes[i] == 0x22 && i + 1 < bytes.count && bytes[i + 1] == 0x22) ? 2 : 1
            }
            return scratch.withUnsafeBytes { trim ? body(Self.trimmed($0)) : body($0) }
        }
        if trim { bytes = Self.trimmed(bytes) }
        return body(bytes)
    }

    @inline(__always)
    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var s = 0, e = bytes.count
        while s < e && (bytes[s] == 0x20 || bytes[s] == 0x09) { s += 1 }
        while e > s && (bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09) { e -= 1 }
        return s == 0 && e == bytes.count ? bytes : UnsafeRawBufferPointer(rebasing: bytes[s..<e])
    }

    private func lineText(_ line: UInt64) {
        idText.removeAll(keepingCapacity: true)
        idText.append(contentsOf: String(line).utf8)
    }

    private func rankedCustomer(_ scanner: CSVRecordScanner, line: UInt64, score s: RowScore, revenue: Double, key: Double) -> RankedCustomer {
        let id = binding.idField.map { scanner.string($0) } ?? String(line)
        let email = binding.emailField.map { scanner.string($0) } ?? ""
        return RankedCustomer(
            line: line, id: id, email: email, revenue: revenue.isFinite ? revenue : nil, probability: s.probability,
            riskScore: Int(s.riskScore), riskLevel: s.riskLevel.name, health: Int(s.health),
            drivers: s.driverList.map { model.driverDetail($0.index, impact: $0.impact, numeric: numeric) },
            intervention: model.actions[Int(s.intervention)], rankKey: key)
    }
}
