import ChurnCore
import Foundation

/// Writes scored rows as the results CSV. The in-process path and the coordinator both format
/// through here, so the same scores always give the same bytes.
public struct ResultCSVFormatter: ScoredRowSink {
    /// Output rows accumulate here; `finish()` hands them on.
    public private(set) var writer: ByteWriter
    private let names: NameTable

    /// A model's escaped driver and action names laid out in one block, looked up by index.
    /// Make one per model and share it between formatters.
    public final class NameTable: @unchecked Sendable {  // immutable after init: only read, from any thread
        let bytes: UnsafeMutablePointer<UInt8>
        let driverStart: UnsafeMutablePointer<Int>
        let actionStart: UnsafeMutablePointer<Int>
        let longest: Int
        /// 000…999 as three ASCII digits in the low bytes of a little-endian word (`appendFixed`).
        let threeDigits: UnsafeMutablePointer<UInt32>

        public convenience init(model: CompiledModel) {
            self.init(drivers: model.driverNames.map { ResultCSVFormatter.escaped(Array($0.utf8)) },
                      actions: model.actions.map { ResultCSVFormatter.escaped(Array($0.utf8)) })
        }

        init(drivers: [[UInt8]], actions: [[UInt8]]) {
            let all = drivers + actions
            let flat = all.flatMap { $0 }
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, flat.count))
            bytes.initialize(from: flat, count: flat.count)
            var starts = [0]
            for name in all { starts.append(starts.last! + name.count) }
            driverStart = .allocate(capacity: drivers.count + 1)
            driverStart.initialize(from: Array(starts[0...drivers.count]), count: drivers.count + 1)
            actionStart = .allocate(capacity: actions.count + 1)
            actionStart.initialize(from: Array(starts[drivers.count...]), count: actions.count + 1)
            self.bytes = bytes
            longest = all.map(\.count).max() ?? 0
            threeDigits = .allocate(capacity: 1000)
            for v in 0..<1000 {
                let digits = [v / 100, v / 10 % 10, v % 10].map { UInt32(0x30 + $0) }
                threeDigits[v] = digits[0] | digits[1] << 8 | digits[2] << 16
            }
        }

        deinit {
            bytes.deallocate()
            driverStart.deallocate()
            actionStart.deallocate()
            threeDigits.deallocate()
        }
    }

    public init(names: NameTable, capacity: Int = 1 << 20) {
        writer = ByteWriter(capacity: capacity)
        self.names = names
    }

    /// The header line of the results CSV.
    public static func header(idColumn: String?) -> String {
        let id = escaped(Array((idColumn ?? "line").utf8))
        return String(decoding: id, as: UTF8.self)
            + ",churn_probability,risk_score,risk_level,health_score,driver_1,driver_1_impact,driver_2,driver_2_impact,driver_3,driver_3_impact,intervention\n"
    }

    /// Hands the formatted bytes on.
    public func finish() -> ByteBlock { writer.finish() }

    @inline(__always)
    public mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score s: RowScore) {
        // Upper bound of a row: escaped id, numbers (each impact at most 24 bytes, see
        // `appendFixed`), 3 drivers, action, separators.
        writer.reserve(2 * id.count + 4 * names.longest + 128)
        appendField(id)
        writer.putUnchecked(0x2C)
        appendFixed(s.probability, decimals: 6)
        writer.putUnchecked(0x2C)
        appendSmall(Int(s.riskScore))
        writer.putUnchecked(0x2C)
        appendLevel(s.riskLevel)
        writer.putUnchecked(0x2C)
        appendSmall(Int(s.health))
        appendDriver(s.drivers.0, s.impacts.0)
        appendDriver(s.drivers.1, s.impacts.1)
        appendDriver(s.drivers.2, s.impacts.2)
        writer.putUnchecked(0x2C)
        let a = Int(s.intervention)
        copyName(names.actionStart[a], names.actionStart[a + 1])
        writer.putUnchecked(0x0A)
    }

    /// `Low`, `Medium` or `High` as one 8-byte store (the row's reserve leaves room for the bytes
    /// past the name, which the next bytes written overwrite), chosen with selects: the level
    /// changes from row to row too unpredictably for a branch.
    @inline(__always)
    private mutating func appendLevel(_ level: RiskLevel) {
        let low: UInt64 = 0x77_6F_4C  // "Low", little-endian
        let medium: UInt64 = 0x6D_75_69_64_65_4D  // "Medium"
        let high: UInt64 = 0x68_67_69_48  // "High"
        let raw = level.rawValue
        let word = raw == 0 ? low : (raw == 1 ? medium : high)
        let length = raw == 0 ? 3 : (raw == 1 ? 6 : 4)
        UnsafeMutableRawPointer(writer.base + writer.count).storeBytes(of: UInt64(littleEndian: word), as: UInt64.self)
        writer.advance(length)
    }

    @inline(__always)
    private mutating func copyName(_ start: Int, _ end: Int) {
        writer.put(UnsafeRawBufferPointer(start: names.bytes + start, count: end - start))
    }

    @inline(__always)
    private mutating func appendDriver(_ d: UInt16, _ impact: Float) {
        writer.putUnchecked(0x2C)
        guard d != RowScore.noDriver else {
            writer.putUnchecked(0x2C)
            return
        }
        copyName(names.driverStart[Int(d)], names.driverStart[Int(d) + 1])
        writer.putUnchecked(0x2C)
        appendFixed(Double(impact), decimals: 3)
    }

    /// 0…999 without leading zeros: the three digits from the table, shifted past the zeros that
    /// lead and stored as one 4-byte word (as `putThreeDigits`). Without branches: risk and health
    /// scores have one, two or three digits from row to row in no order a predictor could learn.
    @inline(__always)
    private mutating func appendSmall(_ v: Int) {
        let length = 1 &+ (v >= 10 ? 1 : 0) &+ (v >= 100 ? 1 : 0)
        let word = names.threeDigits[v] &>> UInt32(truncatingIfNeeded: (3 &- length) &* 8)
        UnsafeMutableRawPointer(writer.base + writer.count).storeBytes(of: UInt32(littleEndian: word), as: UInt32.self)
        writer.advance(length)
    }

    @inline(__always)
    private mutating func appendField(_ bytes: UnsafeRawBufferPointer) {
        Self.appendField(bytes, to: &writer)
    }

    /// Appends a field, quoted per RFC 4180 when it holds a comma, quote, CR or LF. A field a
    /// spreadsheet would run as a formula (see `isFormulaLike`) is neutralised as OWASP recommends
    /// for CSV injection: a `'` in front and the whole field quoted, so it opens as text.
    @inline(__always)
    static func appendField(_ bytes: UnsafeRawBufferPointer, to writer: inout ByteWriter) {
        if let first = bytes.first, first == 0x3D || first == 0x2B || first == 0x2D || first == 0x40 || first == 0x09 || first == 0x0D,
           isFormulaLike(bytes) {
            writer.reserve(2 * bytes.count + 3)
            writer.putUnchecked(0x22)
            writer.putUnchecked(0x27)
            for b in bytes {
                if b == 0x22 { writer.putUnchecked(0x22) }
                writer.putUnchecked(b)
            }
            writer.putUnchecked(0x22)
            return
        }
        var needsQuotes = false
        for b in bytes where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
            needsQuotes = true
            break
        }
        writer.reserve(needsQuotes ? 2 * bytes.count + 2 : bytes.count)
        if !needsQuotes {
            if bytes.count > 0 { memcpy(writer.base + writer.count, bytes.baseAddress!, bytes.count) }
            writer.advance(bytes.count)
            return
        }
        writer.putUnchecked(0x22)
        for b in bytes {
            if b == 0x22 { writer.putUnchecked(0x22) }
            writer.putUnchecked(b)
        }
        writer.putUnchecked(0x22)
    }

    /// Whether a spreadsheet would take this cell for a formula: it starts with `=`, `+`, `-`, `@`,
    /// tab or CR and is not a plain number (`-12`, `+3.5`, `-1e5` stay as they are).
    static func isFormulaLike(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let first = bytes.first, [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D].contains(first) else { return false }
        guard first == 0x2B || first == 0x2D else { return true }
        var i = 1, digits = 0
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        while i < bytes.count, digit(bytes[i]) { i += 1; digits += 1 }
        if i < bytes.count, bytes[i] == 0x2E {
            i += 1
            while i < bytes.count, digit(bytes[i]) { i += 1; digits += 1 }
        }
        guard digits > 0 else { return true }
        if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {
            i += 1
            if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
            var exponent = 0
            while i < bytes.count, digit(bytes[i]) { i += 1; exponent += 1 }
            guard exponent > 0 else { return true }
        }
        return i != bytes.count
    }

    /// A value with 6 or 3 decimals, rounded half away from zero. A magnitude of 10^15 or more
    /// (an impact from a model with a near-zero standard deviation; inputs are limited to 10^15)
    /// is written as Swift prints a Double, at most 24 bytes, so that it never overflows an `Int`.
    @inline(__always)
    private mutating func appendFixed(_ value: Double, decimals: Int) {
        guard value.magnitude < 1e15 else {
            for b in String(value).utf8 { writer.putUnchecked(b) }
            return
        }
        var v = value
        let divisor = decimals == 6 ? 1_000_000 : 1_000
        if v < 0 {
            if Int(-v * Double(divisor) + 0.5) > 0 { writer.putUnchecked(0x2D) }
            v = -v
        }
        let scaled = Int(v * Double(divisor) + 0.5)  // v ≥ 0: round half up without a libm call
        var whole = scaled / divisor
        if whole >= 1000 {
            var digits: [UInt8] = []  // at most 15, within the row's reserve
            while whole > 0 { digits.append(0x30 &+ UInt8(whole % 10)); whole /= 10 }
            for d in digits.reversed() { writer.putUnchecked(d) }
        } else {
            appendSmall(whole)
        }
        writer.putUnchecked(0x2E)
        let fraction = scaled % divisor
        if decimals == 6 {
            putThreeDigits(fraction / 1000)
            putThreeDigits(fraction % 1000)
        } else {
            putThreeDigits(fraction)
        }
    }

    /// 0…999 as three digits, stored as one 4-byte word (the row's reserve leaves room for the
    /// fourth byte, which the next byte written overwrites).
    @inline(__always)
    private mutating func putThreeDigits(_ v: Int) {
        UnsafeMutableRawPointer(writer.base + writer.count).storeBytes(of: UInt32(littleEndian: names.threeDigits[v]), as: UInt32.self)
        writer.advance(3)
    }

    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: 2 * bytes.count + 2)
        bytes.withUnsafeBytes { appendField($0, to: &writer) }
        return writer.finish().array
    }
}
