import Foundation

/// Parses decimal numbers from UTF-8 bytes without allocating.
///
/// Accepts optional spaces, a sign, digits with an optional fraction and exponent. Numbers with at
/// most 19 significant digits and a small exponent are computed exactly (one correctly rounded
/// division or multiplication, as strtod); the rest fall back to `strtod`. Training and scoring both
/// parse through here, so a value means the same number in both.
///
/// Most cells are short plain decimals (`0`, `20.0`, `577.41`): `parse` reads those in one tight
/// loop inlined into the caller (`plainDecimal`) and hands everything else (spaces, signs,
/// exponents, long mantissas, anything invalid) to `parseGeneral`. Both compute the same Double.
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

    /// The value of the bytes, or nil if they are not a finite number; the same Double as
    /// `parse(_:)`. `readable` (≥ `bytes.count`) says how many bytes from `bytes.baseAddress` may
    /// be loaded: with 8, a field of up to 8 bytes is read as one word with no loop over its bytes
    /// (`eightByteDecimal`), whose branches do not depend on the field's length.
    @inlinable @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer, readable: Int) -> Double? {
        if readable >= 8, bytes.count <= 8, let p = bytes.baseAddress,
           let v = eightByteDecimal(p.loadUnaligned(as: UInt64.self), count: bytes.count) {
            return v
        }
        return parse(bytes)
    }

    /// `plainDecimal` for a field of `count` (0…8) bytes held in the low bytes of `word` (first
    /// byte lowest, as loaded on a little-endian machine; bytes past `count` are ignored): digits
    /// with at most one `.` and at least one digit, else nil. Up to 8 digits, exact in a Double.
    @inlinable @inline(__always)
    static func eightByteDecimal(_ word: UInt64, count n: Int) -> Double? {
        guard n > 0 else { return nil }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let inField: UInt64 = n == 8 ? ~0 : (1 &<< UInt64(8 * n)) &- 1
        let t = (UInt64(littleEndian: word) ^ (0x30 &* ones)) & inField  // a digit byte becomes 0…9
        // Per byte, exact (no carry crosses a byte): high bit set where t ≥ 10, i.e. not a digit...
        let notDigit = (((t & (0x7F &* ones)) &+ (0x76 &* ones)) | t) & highs
        // ...and where t is "." (0x2E ^ 0x30 = 0x1E).
        let z = t ^ (0x1E &* ones)
        let dots = ~((((z & (0x7F &* ones)) &+ (0x7F &* ones)) | z)) & highs & inField
        guard notDigit & ~dots & inField == 0, dots.nonzeroBitCount <= 1 else { return nil }
        var digits = t, count = n, decimals = 0
        if dots != 0 {
            guard n > 1 else { return nil }  // "." alone
            let at = dots.trailingZeroBitCount &>> 3  // byte index of the dot
            let below: UInt64 = (1 &<< UInt64(8 * at)) &- 1
            digits = (t & below) | ((t >> UInt64(8 * (at + 1))) << UInt64(8 * at))
            count = n - 1
            decimals = n - 1 - at
        }
        // Left-align so the missing high digits read as leading zeros, then combine 8 digits in
        // three multiplies (byte 0 is the most significant digit).
        var v = digits &<< UInt64(8 * (8 - count))
        v = (v &* 10) &+ (v &>> 8)
        v = (((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 &<< 32)))
            &+ (((v &>> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 &<< 32)))) &>> 32
        return decimals == 0 ? Double(v) : Double(v) / powerOfTen(decimals)
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
        if dot < 0 { return Double(mantissa) }
        if n == 1 { return nil }  // "." alone
        let decimals = n - 1 - dot
        return decimals == 0 ? Double(mantissa) : Double(mantissa) / powerOfTen(decimals)
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
