import Foundation

/// Byte-level text helpers of the XLSX reader: CSV field quoting and OOXML string unescaping.
enum XLSXText {
    /// Appends `field` as one RFC 4180 field: quoted only when it holds a comma, a quote, CR or LF,
    /// or starts or ends with a space or tab (which CSV readers may trim). Returns whether it quoted.
    @discardableResult
    @inline(__always)
    static func appendCSVField(_ field: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        guard let base = field.baseAddress, field.count > 0 else { return false }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = field.count
        var needsQuotes = p[0] == 0x20 || p[0] == 0x09 || p[n - 1] == 0x20 || p[n - 1] == 0x09
        if !needsQuotes && n >= 64 {
            // Long values (shared strings, notes): four memchr passes beat a byte loop.
            needsQuotes = memchr(p, 0x2C, n) != nil || memchr(p, 0x22, n) != nil || memchr(p, 0x0A, n) != nil
                || memchr(p, 0x0D, n) != nil
        } else if !needsQuotes {
            for i in 0..<n {
                let b = p[i]
                if b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
                    needsQuotes = true
                    break
                }
            }
        }
        guard needsQuotes else {
            out.xlsxAppend(p, n)
            return false
        }
        out.append(0x22)
        var run = 0
        for i in 0..<n where p[i] == 0x22 {
            out.xlsxAppend(p + run, i + 1 - run)
            out.append(0x22)
            run = i + 1
        }
        out.xlsxAppend(p + run, n - run)
        out.append(0x22)
        return true
    }

    /// Replaces the `_xHHHH_` escapes of OOXML strings (ST_Xstring; Excel writes control characters
    /// such as CR as `_x000D_`, and a literal `_x` as `_x005F_x`) in `bytes`. Returns nil when there
    /// is nothing to replace, so the common case costs one scan.
    static func unescapeOOXML(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let base = bytes.baseAddress, bytes.count >= 7,
            memchr(base, 0x5F, bytes.count) != nil
        else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        var out: [UInt8]? = nil
        var run = 0
        var i = 0
        while i + 7 <= n {
            guard p[i] == 0x5F, p[i + 1] == 0x78, p[i + 6] == 0x5F, let unit = hex4(p + i + 2) else {
                i += 1
                continue
            }
            var scalar = Unicode.Scalar(unit)
            var length = 7
            if scalar == nil, unit >= 0xD800 && unit < 0xDC00, i + 14 <= n, p[i + 7] == 0x5F, p[i + 8] == 0x78,
                p[i + 13] == 0x5F, let low = hex4(p + i + 9), low >= 0xDC00 && low < 0xE000
            {
                scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
                length = 14
            }
            guard let s = scalar else {
                i += 1
                continue
            }
            if out == nil {
                out = []
                out!.reserveCapacity(n)
            }
            out!.xlsxAppend(p + run, i - run)
            out!.append(contentsOf: String(Character(s)).utf8)
            i += length
            run = i
        }
        guard out != nil else { return nil }
        out!.xlsxAppend(p + run, n - run)
        return out
    }

    private static func hex4(_ p: UnsafePointer<UInt8>) -> UInt16? {
        var value: UInt16 = 0
        for k in 0..<4 {
            let b = p[k]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Appends a string cell's text as a CSV field, after OOXML unescaping. Returns whether it quoted.
    @discardableResult
    static func appendStringField(_ text: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        if let unescaped = unescapeOOXML(text) {
            return unescaped.withUnsafeBytes { appendCSVField($0, to: &out) }
        }
        return appendCSVField(text, to: &out)
    }
}
