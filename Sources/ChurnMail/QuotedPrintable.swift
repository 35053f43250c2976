/// Quoted-printable (RFC 2045 §6.7) for UTF-8 text bodies: line ends become CRLF, lines stay under
/// 77 characters with soft breaks, and the output is 7-bit. Never contains `=_`, which is why
/// message boundaries start with it.
enum QuotedPrintable {
    static func encode(_ text: String) -> String {
        var out = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            var current = ""
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                var piece: String
                if (b == 0x20 || b == 0x09) && last {
                    piece = b == 0x20 ? "=20" : "=09"          // trailing white space would be stripped
                } else if (b >= 33 && b <= 126 && b != 61) || b == 0x20 || b == 0x09 {
                    piece = String(UnicodeScalar(b))
                } else {
                    piece = "=" + hex(b)
                }
                if current.utf8.count + piece.utf8.count > 75 {
                    out += current + "=\r\n"
                    current = ""
                }
                // A line starting with "." is left to the SMTP client's dot-stuffing (libcurl does it).
                current += piece
            }
            out += current
            if n < lines.count - 1 { out += "\r\n" }
        }
        return out
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
