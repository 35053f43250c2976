import Foundation

/// A `ChurnModel` flattened into arrays for the scoring hot path.
///
/// Built once per model; `score` then allocates nothing. Drivers are numbered: numeric features
/// first (in model order), then every category of every categorical feature.
public final class CompiledModel: @unchecked Sendable {
    public let model: ChurnModel
    public let numericCount: Int
    public let categoricalCount: Int
    /// `column` for numeric drivers, `column=value` for categories.
    public let driverNames: [String]
    /// Distinct intervention texts; `RowScore.intervention` indexes this.
    public let actions: [String]
    /// For each categorical feature, its categories' UTF-8 bytes (for byte-level lookup).
    public let categoryBytes: [[[UInt8]]]

    // Hot data as raw buffers, so scoring touches no reference-counted storage (two threads
    // reading Swift arrays of one shared object contend on its reference count).
    let intercept: Double
    let means: UnsafeMutablePointer<Double>
    let invStds: UnsafeMutablePointer<Double>
    let medians: UnsafeMutablePointer<Double>
    let coefficients: UnsafeMutablePointer<Double>
    /// Coefficients of all categories, feature after feature; `categoryDriverBase` - numericCount indexes it.
    let categoryCoefficients: UnsafeMutablePointer<Double>
    /// Frequency-weighted mean coefficient of each categorical feature: the "average customer".
    let categoryBaselines: UnsafeMutablePointer<Double>
    let categoryDriverBase: UnsafeMutablePointer<Int>
    let healthCount: Int
    let healthFeature: UnsafeMutablePointer<Int>
    let healthWeight: UnsafeMutablePointer<Double>
    let healthLow: UnsafeMutablePointer<Double>
    let healthSpan: UnsafeMutablePointer<Double>
    let healthInvSpan: UnsafeMutablePointer<Double>
    let healthHigherIsBetter: UnsafeMutablePointer<Bool>
    let healthWeightSum: Double
    /// actionForDriver[driver * 3 + level] → action index, or -1.
    let actionForDriver: UnsafeMutablePointer<Int32>
    let fallbackAction: UInt16
    let highValueMinimum: Double
    let highValueLevel: RiskLevel
    let highValueAction: UInt16
    let mediumRisk: Int
    let highRisk: Int
    /// All category values' bytes back to back, with offsets (categoryByteStart[k]..<[k+1]) per global category k.
    let categoryText: UnsafeMutablePointer<UInt8>
    let categoryByteStart: UnsafeMutablePointer<Int>
    /// First global category index of each categorical feature, and one past the last.
    let categoryStart: UnsafeMutablePointer<Int>

    deinit {
        for p in [means, invStds, medians, coefficients, categoryCoefficients, categoryBaselines, healthWeight, healthLow, healthSpan, healthInvSpan] as [UnsafeMutablePointer<Double>] {
            p.deallocate()
        }
        categoryDriverBase.deallocate()
        healthFeature.deallocate()
        healthHigherIsBetter.deallocate()
        actionForDriver.deallocate()
        categoryText.deallocate()
        categoryByteStart.deallocate()
        categoryStart.deallocate()
    }

    /// A raw copy of `values` that lives until `deinit` (at least one element, so never a null pointer).
    private static func buffer<T>(_ values: [T], filler: T) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, values.count))
        if values.isEmpty { p.initialize(to: filler) } else { p.initialize(from: values, count: values.count) }
        return p
    }

    /// Errors in a model or its overrides that make it unusable for scoring.
    public struct InvalidModel: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ model: ChurnModel) throws {
        guard model.format == "churn-model" else { throw InvalidModel(description: "not a churn model file") }
        guard model.formatVersion == ChurnModel.currentFormatVersion else {
            throw InvalidModel(description: "model format version \(model.formatVersion) is not supported (this build reads \(ChurnModel.currentFormatVersion))")
        }
        self.model = model
        numericCount = model.numeric.count
        categoricalCount = model.categorical.count
        intercept = model.intercept
        means = Self.buffer(model.numeric.map(\.mean), filler: 0)
        invStds = Self.buffer(model.numeric.map { $0.std > 0 ? 1 / $0.std : 1 }, filler: 0)
        medians = Self.buffer(model.numeric.map(\.median), filler: 0)
        coefficients = Self.buffer(model.numeric.map(\.coefficient), filler: 0)
        categoryCoefficients = Self.buffer(model.categorical.flatMap { $0.categories.map(\.coefficient) }, filler: 0)
        categoryBaselines = Self.buffer(model.categorical.map { f in f.categories.reduce(0) { $0 + $1.frequency * $1.coefficient } }, filler: 0)
        categoryBytes = model.categorical.map { $0.categories.map { Array($0.value.utf8) } }
        let allCategories = categoryBytes.flatMap { $0 }
        categoryText = Self.buffer(allCategories.flatMap { $0 }, filler: 0)
        categoryByteStart = Self.buffer(allCategories.reduce(into: [0]) { $0.append($0.last! + $1.count) }, filler: 0)
        categoryStart = Self.buffer(categoryBytes.reduce(into: [0]) { $0.append($0.last! + $1.count) }, filler: 0)
        var names = model.numeric.map(\.column)
        var base: [Int] = []
        for f in model.categorical {
            base.append(names.count)
            names += f.categories.map { "\(f.column)=\($0.value)" }
        }
        guard names.count < Int(RowScore.noDriver) else { throw InvalidModel(description: "too many features (\(names.count))") }
        driverNames = names
        categoryDriverBase = Self.buffer(base, filler: 0)
        guard model.thresholds.mediumRisk <= model.thresholds.highRisk else {
            throw InvalidModel(description: "thresholds: mediumRisk (\(model.thresholds.mediumRisk)) is above highRisk (\(model.thresholds.highRisk))")
        }
        mediumRisk = model.thresholds.mediumRisk
        highRisk = model.thresholds.highRisk

        var hf: [Int] = [], hw: [Double] = [], hl: [Double] = [], hs: [Double] = [], hb: [Bool] = []
        for m in model.health.measures {
            guard let j = model.numeric.firstIndex(where: { $0.column == m.column }) else {
                throw InvalidModel(description: "health measure '\(m.column)' is not a numeric feature of the model")
            }
            guard m.weight >= 0, m.weight.isFinite else { throw InvalidModel(description: "health measure '\(m.column)' has a negative weight") }
            hf.append(j); hw.append(m.weight); hl.append(m.low); hs.append(m.high - m.low)
            hb.append(m.direction == .higherIsHealthier)
        }
        healthCount = hf.count
        healthFeature = Self.buffer(hf, filler: 0)
        healthWeight = Self.buffer(hw, filler: 0)
        healthLow = Self.buffer(hl, filler: 0)
        healthSpan = Self.buffer(hs, filler: 0)
        healthInvSpan = Self.buffer(hs.map { $0 > 0 ? 1 / $0 : 0 }, filler: 0)
        healthHigherIsBetter = Self.buffer(hb, filler: false)
        healthWeightSum = hw.reduce(0, +)

        var actions: [String] = [model.interventions.fallback]
        func actionIndex(_ text: String) -> Int {
            if let i = actions.firstIndex(of: text) { return i }
            actions.append(text)
            return actions.count - 1
        }
        var table = [Int32](repeating: -1, count: names.count * 3)
        for rule in model.interventions.rules {
            let minimum = rule.minimumRisk.map { RiskLevel(name: $0) } ?? .low
            guard let minimum else { throw InvalidModel(description: "intervention rule for '\(rule.driver)': unknown risk level '\(rule.minimumRisk ?? "")'") }
            // A rule on a categorical column applies to every one of its categories.
            let targets = names.indices.filter { names[$0] == rule.driver || names[$0].hasPrefix(rule.driver + "=") }
            let a = Int32(actionIndex(rule.action))
            for d in targets {
                for level in RiskLevel.allCases where level >= minimum && table[d * 3 + Int(level.rawValue)] < 0 {
                    table[d * 3 + Int(level.rawValue)] = a
                }
            }
        }
        fallbackAction = 0
        if let hv = model.interventions.highValue {
            guard let level = RiskLevel(name: hv.minimumRisk) else {
                throw InvalidModel(description: "high-value rule: unknown risk level '\(hv.minimumRisk)'")
            }
            highValueMinimum = hv.minimum
            highValueLevel = level
            highValueAction = UInt16(actionIndex(hv.action))
        } else {
            highValueMinimum = .infinity
            highValueLevel = .high
            highValueAction = 0
        }
        actionForDriver = Self.buffer(table, filler: -1)
        self.actions = actions
    }

    /// The imputation value of numeric feature `j` (its training median).
    @inline(__always) public func median(_ j: Int) -> Double { medians[j] }

    /// Scores one customer.
    /// - Parameters:
    ///   - numeric: `numericCount` raw values in model order, blanks already replaced by `median(j)`.
    ///   - categories: `categoricalCount` category indices; -1 for a value unseen in training.
    ///   - revenue: the revenue column's value, or NaN when there is none.
    @inline(__always)
    public func score(numeric: UnsafePointer<Double>, categories: UnsafePointer<Int32>, revenue: Double) -> RowScore {
        var logit = intercept
        var d0: UInt16 = 0xFFFF, d1: UInt16 = 0xFFFF, d2: UInt16 = 0xFFFF  // RowScore.noDriver
        var c0 = 0.0, c1 = 0.0, c2 = 0.0

        // Top three by contribution, only positive ones: one well-predicted test (c > c2) for most
        // features, since c2 starts at 0 and most contributions are small or negative.
        @inline(__always) func offer(_ d: Int, _ c: Double) {
            guard c > c2 else { return }
            if c > c1 {
                d2 = d1; c2 = c1
                if c > c0 {
                    d1 = d0; c1 = c0; d0 = UInt16(truncatingIfNeeded: d); c0 = c
                } else {
                    d1 = UInt16(truncatingIfNeeded: d); c1 = c
                }
            } else {
                d2 = UInt16(truncatingIfNeeded: d); c2 = c
            }
        }

        for j in 0..<numericCount {
            let c = coefficients[j] * ((numeric[j] - means[j]) * invStds[j])
            logit += c
            offer(j, c)
        }
        for f in 0..<categoricalCount {
            let k = Int(categories[f])
            guard k >= 0 else { continue }  // unseen: all-zero one-hot, no contribution
            let d = categoryDriverBase[f] + k
            let coef = categoryCoefficients[d - numericCount]
            logit += coef
            offer(d, coef - categoryBaselines[f])
        }

        let p = 1 / (1 + Foundation.exp(-logit))
        let riskScore = Int(p * 100 + 0.5)  // p ≥ 0: round half up without a libm call
        let level: RiskLevel = riskScore >= highRisk ? .high : (riskScore >= mediumRisk ? .medium : .low)
        var weighted = 0.0
        for m in 0..<healthCount {
            var t = healthSpan[m] > 0 ? (numeric[healthFeature[m]] - healthLow[m]) * healthInvSpan[m] : 0.5
            t = t < 0 ? 0 : (t > 1 ? 1 : t)
            weighted += healthWeight[m] * (healthHigherIsBetter[m] ? t : 1 - t)
        }
        let health = healthWeightSum > 0 ? Int(100 * weighted / healthWeightSum + 0.5) : 50

        var action = fallbackAction
        if level >= highValueLevel && revenue >= highValueMinimum {
            action = highValueAction
        } else {
            let lv = Int(level.rawValue)
            @inline(__always) func rule(_ d: UInt16) -> Int32 {
                d == 0xFFFF ? -1 : actionForDriver[Int(d) * 3 + lv]
            }
            let a = rule(d0) >= 0 ? rule(d0) : (rule(d1) >= 0 ? rule(d1) : rule(d2))
            if a >= 0 { action = UInt16(a) }
        }
        return RowScore(probability: p, riskScore: UInt8(riskScore), riskLevel: level, health: UInt8(health),
                        drivers: (d0, d1, d2), impacts: (Float(c0), Float(c1), Float(c2)), intervention: action)
    }

    /// The index of a categorical value by its UTF-8 bytes, or -1 when unseen.
    @inline(__always)
    public func categoryIndex(feature f: Int, bytes: UnsafeRawBufferPointer) -> Int32 {
        let first = categoryStart[f], end = categoryStart[f + 1]
        for k in first..<end {
            let start = categoryByteStart[k]
            let length = categoryByteStart[k + 1] - start
            guard length == bytes.count else { continue }
            if length == 0 || memcmp(categoryText + start, bytes.baseAddress!, length) == 0 { return Int32(k - first) }
        }
        return -1
    }

    /// Scores a customer given as column → text, the slow path for tests and small inputs.
    /// Blank numeric values are imputed; an unparsable one throws.
    public func score(record: [String: String]) throws -> RowScore {
        var numeric = [Double](repeating: 0, count: numericCount)
        for (j, f) in model.numeric.enumerated() {
            let text = record[f.column]?.trimmingCharacters(in: .whitespaces) ?? ""
            if text.isEmpty {
                numeric[j] = medians[j]
            } else if let v = Double(text), v.isFinite {
                numeric[j] = v
            } else {
                throw InvalidModel(description: "column '\(f.column)': '\(text)' is not a number")
            }
        }
        var cats = [Int32](repeating: -1, count: categoricalCount)
        for (f, feature) in model.categorical.enumerated() {
            let text = (record[feature.column] ?? "").trimmingSpaces
            cats[f] = Int32(feature.categories.firstIndex { $0.value == text } ?? -1)
        }
        let revenue = model.revenueColumn.flatMap { record[$0] }.flatMap { Double($0) } ?? .nan
        return numeric.withUnsafeBufferPointer { n in
            cats.withUnsafeBufferPointer { c in score(numeric: n.baseAddress!, categories: c.baseAddress!, revenue: revenue) }
        }
    }
}
