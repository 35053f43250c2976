import Foundation

/// Parses decimal numbers from UTF-8 bytes without allocating.
///
/// Accepts optional spaces, a sign, digits with an optional fraction and exponent. Numbers with at
/// most 19 significant digits and a small exponent are computed exactly (one correctly rounded
/// division or multiplication, as strtod); the rest fall back to `strtod`. Training and scoring both
/// parse through here, so a value means the same number in both.
///
/// Most cells are short plain decimals (`0`, `20.0`, `577.41`): `parse` reads those in one tight
/// loop (`plainDecimal`: no trimming, no sign, no exponent, no digit counting) and hands everything
/// else (spaces, signs, exponents, long mantissas, anything invalid) to `parseGeneral`. Both
/// compute the same Double.
public enum NumberParser {
    /// 10^k for 0 ≤ k ≤ 22, all exact in a Double (a switch: no lazily initialised global on the hot path).
    @inlinable @inline(__always)
    static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: return 1
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// The value of `text`, or nil if it is not a finite number.
    public static func parse(_ text: String) -> Double? {
        var t = text
        return t.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// The value of the bytes, or nil if they are not a finite number.
    @inlinable @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if let v = plainDecimal(bytes) { return v }
        return parseGeneral(bytes)
    }

    /// The value of 1 to 15 bytes of digits with at most one `.` and at least one digit, else nil
    /// (the caller then parses in full). At most 15 digits make a mantissa below 2^53, exact in a
    /// Double, and at most 14 decimals an exact power of ten: one correctly rounded division, the
    /// same operation `parseGeneral` does for these inputs, so the same Double to the last bit
    /// (`NumberParserTests` compares the two on many values).
    @inlinable @inline(__always)
    static func plainDecimal(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        guard n > 0, n <= 15, let p = bytes.baseAddress else { return nil }
        var mantissa: UInt64 = 0
        var dot = -1
        for i in 0..<n {
            let d = p.load(fromByteOffset: i, as: UInt8.self) &- 0x30
            if d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
            } else if d == 0xFE && dot < 0 {  // "." - "0" wraps to 0xFE
                dot = i
            } else {
                return nil
            }
        }
        // Converted as signed (one instruction; an unsigned 64-bit value takes several without
        // AVX-512): the mantissa is below 10^15, so the value is the same.
        let value = Double(Int64(truncatingIfNeeded: mantissa))
        if dot < 0 { return value }
        if n == 1 { return nil }  // "." alone
        let decimals = n - 1 - dot
        return decimals == 0 ? value : value / powerOfTen(decimals)
    }

    /// The full parser: spaces, signs, exponents, any number of digits. nil if the bytes are not a
    /// finite number.
    @usableFromInline
    static func parseGeneral(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var i = 0, end = bytes.count
        while i < end && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        while end > i && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == 0x2D { negative = true; i += 1 } else if bytes[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0
        var significant = 0, exponent = 0
        var sawDigit = false
        while i < end, case let d = bytes[i] &- 0x30, d < 10 {
            sawDigit = true
            if significant < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
            }
            i += 1
        }
        if i < end && bytes[i] == 0x2E {
            i += 1
            while i < end, case let d = bytes[i] &- 0x30, d < 10 {
                sawDigit = true
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < end && (bytes[i] | 0x20) == 0x65 {
            i += 1
            var expNegative = false
            if i < end && bytes[i] == 0x2D { expNegative = true; i += 1 } else if i < end && bytes[i] == 0x2B { i += 1 }
            var e = 0
            var sawExp = false
            while i < end, case let d = bytes[i] &- 0x30, d < 10 {
                sawExp = true
                if e < 100_000 { e = e * 10 + Int(d) }
                i += 1
            }
            guard sawExp else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == end else { return nil }
        var value: Double
        if mantissa == 0 {
            value = 0
        } else if mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 && significant <= 19 {
            value = Double(mantissa)
            value = exponent < 0 ? value / powerOfTen(-exponent) : value * powerOfTen(exponent)
        } else {
            return slowParse(bytes)
        }
        return negative ? -value : value
    }

    static func slowParse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var buffer = [CChar](repeating: 0, count: bytes.count + 1)
        for k in 0..<bytes.count { buffer[k] = CChar(bitPattern: bytes[k]) }
        var endPointer: UnsafeMutablePointer<CChar>?
        let v = buffer.withUnsafeMutableBufferPointer { b -> Double in strtod(b.baseAddress!, &endPointer) }
        guard v.isFinite else { return nil }
        return v
    }
}
