/// The shared string table of a workbook, each string stored already encoded as a CSV field so a
/// `t="s"` cell costs one copy. It is the one part read whole into memory.
struct XLSXSharedStrings: Sendable {
    /// The encoded fields back to back; string `k` is `fields[ends[k - 1]..<ends[k]]`.
    private(set) var fields: [UInt8] = []
    private(set) var ends: [Int] = []

    var count: Int { ends.count }

    /// Memory the table holds: its encoded text plus 8 bytes of index per string.
    var memoryBytes: Int { fields.count + 8 * ends.count }

    /// Whether field `k` is quoted (and so may span lines).
    func isQuoted(_ k: Int) -> Bool {
        let start = k == 0 ? 0 : ends[k - 1]
        return ends[k] > start && fields[start] == 0x22
    }

    /// Bytes of encoded field `k`.
    func length(_ k: Int) -> Int { ends[k] - (k == 0 ? 0 : ends[k - 1]) }

    /// Appends encoded field `k` to `out`.
    @inline(__always)
    func append(_ k: Int, to out: inout [UInt8]) {
        let start = k == 0 ? 0 : ends[k - 1]
        fields.withUnsafeBufferPointer { out.xlsxAppend($0.baseAddress! + start, ends[k] - start) }
    }

    mutating func add(_ text: UnsafeRawBufferPointer) {
        XLSXText.appendStringField(text, to: &fields)
        ends.append(fields.count)
    }
}

/// Builds `XLSXSharedStrings` from xl/sharedStrings.xml: one string per `<si>`, the text of its
/// `<t>` elements (plain, or in rich-text runs `<r>`), leaving out phonetic runs `<rPh>`.
struct XLSXSharedStringsHandler: XLSXXMLHandler {
    /// The most memory the table may hold (`XLSXSharedStrings.memoryBytes`, plus the string being
    /// read), so a hostile file cannot exhaust memory. Checked before the table grows: the arrays'
    /// doubling then never goes past it either.
    static let maxBytes = 256 << 20

    var table = XLSXSharedStrings()
    private var inItem = false
    private var capturing = false
    private var phonetic = 0
    private var text: [UInt8] = []

    mutating func startElement(_ name: XLSXXMLName, attributes: XLSXXMLAttributes) throws {
        if name.is("si") {
            inItem = true
            text.removeAll(keepingCapacity: true)
        } else if inItem {
            if name.is("t") && phonetic == 0 {
                capturing = true
            } else if name.is("rPh") {
                phonetic += 1
            }
        }
    }

    mutating func endElement(_ name: XLSXXMLName) throws {
        guard inItem else { return }
        if name.is("t") {
            capturing = false
        } else if name.is("rPh") {
            phonetic -= 1
        } else if name.is("si") {
            inItem = false
            // Encoding as a CSV field at most doubles the text (quotes) and adds two.
            try checkRoom(2 * text.count + 2 + 8)
            text.withUnsafeBytes { table.add($0) }
        }
    }

    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {
        guard capturing else { return }
        try checkRoom(text.count + bytes.count)
        text.xlsxAppend(bytes)
    }

    private func checkRoom(_ more: Int) throws {
        guard table.memoryBytes + more <= Self.maxBytes else {
            throw XLSXXMLProblem("the shared string table needs more than \(Self.maxBytes >> 20) MiB of memory (the limit)")
        }
    }
}
