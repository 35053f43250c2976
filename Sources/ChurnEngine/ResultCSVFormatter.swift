import ChurnCore

/// Writes scored rows as the results CSV. The in-process path and the coordinator both format
/// through here, so the same scores always give the same bytes.
public struct ResultCSVFormatter: ScoredRowSink {
    /// Output rows accumulate here; the owner drains it.
    public var buffer: [UInt8] = []
    private let driverBytes: [[UInt8]]
    private let actionBytes: [[UInt8]]
    private static let levelBytes: [[UInt8]] = RiskLevel.allCases.map { Array($0.name.utf8) }

    public init(model: CompiledModel) {
        driverBytes = model.driverNames.map { Self.escaped(Array($0.utf8)) }
        actionBytes = model.actions.map { Self.escaped(Array($0.utf8)) }
        buffer.reserveCapacity(1 << 20)
    }

    /// The header line of the results CSV.
    public static func header(idColumn: String?) -> String {
        let id = escaped(Array((idColumn ?? "line").utf8))
        return String(decoding: id, as: UTF8.self)
            + ",churn_probability,risk_score,risk_level,health_score,driver_1,driver_1_impact,driver_2,driver_2_impact,driver_3,driver_3_impact,intervention\n"
    }

    public mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score s: RowScore) {
        appendField(id)
        buffer.append(0x2C)
        appendFixed(s.probability, decimals: 6)
        buffer.append(0x2C)
        appendInt(Int(s.riskScore))
        buffer.append(0x2C)
        buffer.append(contentsOf: Self.levelBytes[Int(s.riskLevel.rawValue)])
        buffer.append(0x2C)
        appendInt(Int(s.health))
        appendDriver(s.drivers.0, s.impacts.0)
        appendDriver(s.drivers.1, s.impacts.1)
        appendDriver(s.drivers.2, s.impacts.2)
        buffer.append(0x2C)
        buffer.append(contentsOf: actionBytes[Int(s.intervention)])
        buffer.append(0x0A)
    }

    @inline(__always)
    private mutating func appendDriver(_ d: UInt16, _ impact: Float) {
        buffer.append(0x2C)
        guard d != RowScore.noDriver else {
            buffer.append(0x2C)
            return
        }
        buffer.append(contentsOf: driverBytes[Int(d)])
        buffer.append(0x2C)
        appendFixed(Double(impact), decimals: 3)
    }

    @inline(__always)
    private mutating func appendField(_ bytes: UnsafeRawBufferPointer) {
        Self.appendEscaped(bytes, to: &buffer)
    }

    /// Appends a field, quoted per RFC 4180 when it holds a comma, quote, CR or LF.
    @inline(__always)
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        var needsQuotes = false
        for b in bytes where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
            needsQuotes = true
            break
        }
        if !needsQuotes {
            buffer.append(contentsOf: bytes)
            return
        }
        buffer.append(0x22)
        for b in bytes {
            if b == 0x22 { buffer.append(0x22) }
            buffer.append(b)
        }
        buffer.append(0x22)
    }

    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBytes { appendEscaped($0, to: &out) }
        return out
    }

    @inline(__always)
    private mutating func appendInt(_ value: Int) { DecimalText.appendInt(value, to: &buffer) }

    @inline(__always)
    private mutating func appendFixed(_ value: Double, decimals: Int) { DecimalText.appendFixed(value, decimals: decimals, to: &buffer) }
}
