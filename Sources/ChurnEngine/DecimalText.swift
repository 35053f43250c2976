/// Fast, locale-free decimal formatting into byte buffers (results CSV, generated data).
public enum DecimalText {
    private static let scales: [Int] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    /// A non-negative integer in decimal.
    @inline(__always)
    public static func appendInt(_ value: Int, to buffer: inout [UInt8]) {
        if value < 10 {
            buffer.append(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var v = value
        var reversed: UInt64 = 0  // up to 8 digits packed, enough for our values
        var n = 0
        if v < 100_000_000 {
            while v > 0 {
                reversed = reversed << 8 | UInt64(0x30 &+ v % 10)
                v /= 10
                n += 1
            }
            while n > 0 {
                buffer.append(UInt8(truncatingIfNeeded: reversed))
                reversed >>= 8
                n -= 1
            }
        } else {
            buffer.append(contentsOf: String(value).utf8)
        }
    }

    /// `value` with `decimals` (0…6) digits after the point, rounded half away from zero.
    @inline(__always)
    public static func appendFixed(_ value: Double, decimals: Int, to buffer: inout [UInt8]) {
        var v = value
        if v < 0 {
            let scaledCheck = (-v * Double(scales[decimals])).rounded()
            if scaledCheck > 0 { buffer.append(0x2D) }
            v = -v
        }
        let divisor = scales[decimals]
        let scaled = Int((v * Double(divisor)).rounded())
        appendInt(scaled / divisor, to: &buffer)
        guard decimals > 0 else { return }
        buffer.append(0x2E)
        var fraction = scaled % divisor
        var place = divisor / 10
        while place > 0 {
            buffer.append(0x30 &+ UInt8(truncatingIfNeeded: fraction / place))
            fraction %= place
            place /= 10
        }
    }
}
