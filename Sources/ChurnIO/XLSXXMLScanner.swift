import Foundation

// A strict, push-driven XML scanner for the parts of an .xlsx package.
//
// Why not Foundation's XMLParser: it pulls from an InputStream while ZIPFoundation pushes inflated
// chunks (bridging needs a thread or a temporary file), `XMLParser(data:)` fails on big sheets, its
// libxml2 context runs in recover mode and is never told the input ended (a truncated sheet parses
// "successfully"), and its errors carry no message. This scanner takes chunks as they are inflated,
// keeps only an unfinished construct between chunks, and reports errors with line and column.
//
// It covers what SpreadsheetML needs: elements, attributes, namespace prefixes (matched by local
// name), the five predefined entities and character references, CDATA, comments, processing
// instructions, the XML declaration, and end-of-line normalisation. DTDs are refused (no entity
// expansion attacks); only UTF-8 is accepted. Well-formedness is checked for tag nesting, a single
// root, and truncation; characters are passed through as bytes without validating UTF-8.

/// A problem in an XML part: a syntax error found by the scanner or content a handler rejects.
/// Handlers throw it without `index`; the scanner fills it in so the problem can be located.
struct XLSXXMLProblem: Error {
    var message: String
    var index: Int?

    init(_ message: String, at index: Int? = nil) {
        self.message = message
        self.index = index
    }
}

/// An `XLSXXMLProblem` located in the part (1-based line; column in bytes from the line start).
struct XLSXXMLFailure: Error {
    var message: String
    var line: Int
    var column: Int
}

/// An element name as it appears in a tag, with its local part (after any namespace prefix).
struct XLSXXMLName {
    let qualified: UnsafeRawBufferPointer
    let local: UnsafeRawBufferPointer

    /// Whether the local name is `name`.
    @inline(__always)
    func `is`(_ name: StaticString) -> Bool {
        name.utf8CodeUnitCount == local.count && memcmp(local.baseAddress!, name.utf8Start, local.count) == 0
    }

    var string: String { String(decoding: qualified, as: UTF8.self) }
}

/// The attributes of a start tag, valid only during the `startElement` call.
struct XLSXXMLAttributes {
    struct Span {
        var nameStart: Int
        var localStart: Int
        var nameEnd: Int
        var valueStart: Int
        var valueEnd: Int
    }

    fileprivate let base: UnsafePointer<UInt8>
    fileprivate let spans: [Span]

    /// The undecoded value of the attribute with local name `name`. `prefixed` selects attributes
    /// written with a namespace prefix (`r:id`) instead of unprefixed ones (`r`); `xmlns`
    /// declarations never match.
    @inline(__always)
    func raw(_ name: StaticString, prefixed: Bool = false) -> UnsafeRawBufferPointer? {
        for s in spans where s.nameEnd - s.localStart == name.utf8CodeUnitCount {
            let hasPrefix = s.localStart != s.nameStart
            guard hasPrefix == prefixed, memcmp(base + s.localStart, name.utf8Start, name.utf8CodeUnitCount) == 0 else {
                continue
            }
            if hasPrefix && s.localStart - s.nameStart == 6 && memcmp(base + s.nameStart, "xmlns:", 6) == 0 { continue }
            return UnsafeRawBufferPointer(start: base + s.valueStart, count: s.valueEnd - s.valueStart)
        }
        return nil
    }

    /// The decoded value of an attribute (references replaced, whitespace normalised).
    func string(_ name: StaticString, prefixed: Bool = false) throws -> String? {
        guard let value = raw(name, prefixed: prefixed) else { return nil }
        let p = value.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if memchr(p, 0x26, value.count) == nil && !value.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return String(decoding: value, as: UTF8.self)
        }
        var out: [UInt8] = []
        try XLSXXMLScanner.decode(p, 0, value.count, attribute: true, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Receives the events of an `XLSXXMLScanner`. Text may arrive in several pieces.
protocol XLSXXMLHandler {
    mutating func startElement(_ name: XLSXXMLName, attributes: XLSXXMLAttributes) throws
    mutating func endElement(_ name: XLSXXMLName) throws
    mutating func text(_ bytes: UnsafeRawBufferPointer) throws
}

private let lt: UInt8 = 0x3C
private let gt: UInt8 = 0x3E
private let amp: UInt8 = 0x26
private let slash: UInt8 = 0x2F
private let bang: UInt8 = 0x21
private let question: UInt8 = 0x3F
private let equals: UInt8 = 0x3D
private let quote: UInt8 = 0x22
private let apostrophe: UInt8 = 0x27
private let cr: UInt8 = 0x0D
private let lf: UInt8 = 0x0A
private let tab: UInt8 = 0x09
private let space: UInt8 = 0x20
private let colon: UInt8 = 0x3A

@inline(__always) private func isSpace(_ b: UInt8) -> Bool { b == space || b == lf || b == cr || b == tab }

@inline(__always) private func isNameStart(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b == colon || b >= 0x80
}

@inline(__always) private func endsName(_ b: UInt8) -> Bool { isSpace(b) || b == gt || b == slash || b == equals }

/// Scans one XML document fed in chunks; see the file comment for what it accepts.
struct XLSXXMLScanner {
    /// The longest construct (tag, comment, CDATA section) kept while waiting for more input.
    static let maxConstruct = 32 << 20
    /// Bounds on what a tag may cost besides its bytes (SpreadsheetML needs a few of each): without
    /// them a deflated stream of `<a><a>…` or `<c a="" a="" …>` costs more memory than it has bytes.
    static let maxDepth = 256
    static let maxAttributes = 1024
    static let maxName = 1024

    private var pending: [UInt8] = []
    /// Absolute offset of `pending[0]` in the document.
    private var offset = 0
    /// Line of `pending[0]`, and the absolute offset where that line starts.
    private var line = 1
    private var lineStart = 0
    private var startChecked = false
    /// Absolute offset where an XML declaration may appear (after a byte order mark).
    private var declarationOffset = 0
    /// Qualified names of the open elements, back to back; `openEnds` marks where each ends.
    private var openNames: [UInt8] = []
    private var openEnds: [Int] = []
    private var rootSeen = false
    private var spans: [XLSXXMLAttributes.Span] = []
    /// Absolute offset from which the terminator of the construct left unfinished by the last chunk
    /// is still to be looked for: the bytes before it were searched already. Without it, a long
    /// comment, CDATA section or tag was searched again from its start with every chunk (quadratic).
    private var resumeAt = 0
    private var scratch: [UInt8] = []

    init() {}

    /// Scans the next chunk of the document.
    mutating func feed<H: XLSXXMLHandler>(_ chunk: UnsafeRawBufferPointer, into handler: inout H) throws {
        if let base = chunk.baseAddress, chunk.count > 0 {
            pending.xlsxAppend(base.assumingMemoryBound(to: UInt8.self), chunk.count)
        }
        try run(final: false, &handler)
    }

    /// Ends the document: anything left unfinished is an error.
    mutating func finish<H: XLSXXMLHandler>(into handler: inout H) throws {
        try run(final: true, &handler)
        if !openEnds.isEmpty {
            let start = openEnds.count > 1 ? openEnds[openEnds.count - 2] : 0
            let name = String(decoding: openNames[start...], as: UTF8.self)
            throw XLSXXMLFailure(
                message: "unexpected end of the document: <\(name)> is not closed", line: line,
                column: offset - lineStart + 1)
        }
        if !rootSeen {
            throw XLSXXMLFailure(message: "no root element", line: line, column: offset - lineStart + 1)
        }
    }

    private mutating func run<H: XLSXXMLHandler>(final: Bool, _ handler: inout H) throws {
        var input: [UInt8] = []
        swap(&input, &pending)
        let consumed: Int
        do {
            consumed = try input.withUnsafeBufferPointer { try parse($0, final: final, &handler) }
        } catch let problem as XLSXXMLProblem {
            let (l, c) = locate(problem.index ?? 0, in: input)
            throw XLSXXMLFailure(message: problem.message, line: l, column: c)
        }
        advance(consumed, in: input)
        input.removeFirst(consumed)
        if input.count > Self.maxConstruct {
            let (l, c) = locate(0, in: input)
            throw XLSXXMLFailure(
                message: "an XML construct is longer than \(Self.maxConstruct) bytes", line: l, column: c)
        }
        swap(&input, &pending)
    }

    private mutating func advance(_ count: Int, in input: [UInt8]) {
        input.withUnsafeBufferPointer { buf in
            guard count > 0, let p = buf.baseAddress else { return }
            let lines = xlsxCountNewlines(p, count)
            if lines > 0 {
                line += lines
                var i = count - 1
                while p[i] != lf { i -= 1 }
                lineStart = offset + i + 1
            }
        }
        offset += count
    }

    private func locate(_ index: Int, in input: [UInt8]) -> (line: Int, column: Int) {
        input.withUnsafeBufferPointer { buf in
            let n = min(index, buf.count)
            guard n > 0, let p = buf.baseAddress else { return (line, offset + n - lineStart + 1) }
            let lines = xlsxCountNewlines(p, n)
            guard lines > 0 else { return (line, offset + n - lineStart + 1) }
            var i = n - 1
            while p[i] != lf { i -= 1 }
            return (line + lines, n - i)
        }
    }

    /// Scans complete constructs of `buf` and returns how many bytes were consumed; the rest is an
    /// unfinished construct kept for the next chunk (an error when `final`).
    private mutating func parse<H: XLSXXMLHandler>(
        _ buf: UnsafeBufferPointer<UInt8>, final: Bool, _ h: inout H
    ) throws -> Int {
        let n = buf.count
        guard let p = buf.baseAddress, n > 0 else { return 0 }
        var i = 0
        if !startChecked {
            if n < 3 && !final { return 0 }
            if n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF {
                i = 3
            } else if n >= 2 && ((p[0] == 0xFE && p[1] == 0xFF) || (p[0] == 0xFF && p[1] == 0xFE)) {
                throw XLSXXMLProblem("UTF-16 encoded XML is not supported", at: 0)
            }
            declarationOffset = offset + i
            startChecked = true
        }
        // Where to resume looking for the unfinished construct's terminator (relative to p).
        let resume = resumeAt - offset
        func unfinished(_ at: Int) throws -> Int {
            if final { throw XLSXXMLProblem("unexpected end of the document", at: at) }
            // No terminator (3 bytes at most) ends before n - 2: search from there next time.
            resumeAt = offset + max(at, n - 2)
            return at
        }
        func find(_ byte: UInt8, from start: Int) -> Int? {
            guard start < n, let hit = memchr(p + start, Int32(byte), n - start) else { return nil }
            return UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
        }
        func find(_ pattern: StaticString, from start: Int) -> Int? {
            let m = pattern.utf8CodeUnitCount
            var k = start
            while let hit = find(pattern.utf8Start.pointee, from: k) {
                if hit + m > n { return nil }
                if memcmp(p + hit, pattern.utf8Start, m) == 0 { return hit }
                k = hit + 1
            }
            return nil
        }
        func matches(_ pattern: StaticString, at k: Int) -> Bool {
            k + pattern.utf8CodeUnitCount <= n && memcmp(p + k, pattern.utf8Start, pattern.utf8CodeUnitCount) == 0
        }

        while i < n {
            if p[i] != lt {
                guard let end = find(lt, from: i) else {
                    if final {
                        // Trailing text: whitespace after the root is fine; inside an open element
                        // `finish` reports the truncation.
                        try text(p, i, n, &h)
                        return n
                    }
                    // Deliver what is safe now, so a long text never piles up: stop before an
                    // unfinished reference and before a CR that may start a CR LF pair.
                    var cut = n
                    var k = n - 1
                    while k >= i && k >= n - 40 {
                        if p[k] == 0x3B { break }
                        if p[k] == amp {
                            cut = k
                            break
                        }
                        k -= 1
                    }
                    if cut > i && p[cut - 1] == cr { cut -= 1 }
                    if cut > i { try text(p, i, cut, &h) }
                    return cut
                }
                try text(p, i, end, &h)
                i = end
                continue
            }
            guard i + 1 < n else { return try unfinished(i) }
            switch p[i + 1] {
            case slash:
                guard let close = find(gt, from: max(i + 2, resume)) else { return try unfinished(i) }
                var nameEnd = close
                while nameEnd > i + 2 && isSpace(p[nameEnd - 1]) { nameEnd -= 1 }
                let nameStart = i + 2
                guard let top = openEnds.last else {
                    throw XLSXXMLProblem("end tag </\(string(p, nameStart, nameEnd))> without a start tag", at: i)
                }
                let topStart = openEnds.count > 1 ? openEnds[openEnds.count - 2] : 0
                let same =
                    top - topStart == nameEnd - nameStart
                    && openNames.withUnsafeBufferPointer {
                        memcmp($0.baseAddress! + topStart, p + nameStart, top - topStart) == 0
                    }
                guard same else {
                    let open = String(decoding: openNames[topStart..<top], as: UTF8.self)
                    throw XLSXXMLProblem("end tag </\(string(p, nameStart, nameEnd))> does not match <\(open)>", at: i)
                }
                openEnds.removeLast()
                openNames.removeLast(top - topStart)
                do {
                    try h.endElement(name(p, nameStart, nameEnd))
                } catch var problem as XLSXXMLProblem {
                    problem.index = problem.index ?? i
                    throw problem
                }
                i = close + 1
            case question:
                guard let close = find("?>", from: max(i + 2, resume)) else { return try unfinished(i) }
                if matches("<?xml", at: i) && (i + 5 < n && (isSpace(p[i + 5]) || p[i + 5] == question)) {
                    guard offset + i == declarationOffset else {
                        throw XLSXXMLProblem("XML declaration not at the start of the document", at: i)
                    }
                    try checkDeclaration(p, i + 5, close)
                }
                i = close + 2
            case bang:
                if matches("<!--", at: i) {
                    guard let close = find("-->", from: max(i + 4, resume)) else { return try unfinished(i) }
                    i = close + 3
                } else if matches("<![CDATA[", at: i) {
                    guard let close = find("]]>", from: max(i + 9, resume)) else { return try unfinished(i) }
                    guard !openEnds.isEmpty else { throw XLSXXMLProblem("CDATA outside the root element", at: i) }
                    scratch.removeAll(keepingCapacity: true)
                    var run = i + 9
                    var k = run
                    while k < close {
                        if p[k] == cr {
                            scratch.xlsxAppend(p + run, k - run)
                            scratch.append(lf)
                            k += (k + 1 < close && p[k + 1] == lf) ? 2 : 1
                            run = k
                        } else {
                            k += 1
                        }
                    }
                    scratch.xlsxAppend(p + run, close - run)
                    try deliver(scratch: &h, at: i)
                    i = close + 3
                } else if matches("<!DOCTYPE", at: i) {
                    throw XLSXXMLProblem("a DTD (<!DOCTYPE) is not allowed in an .xlsx part", at: i)
                } else if n - i < 9 && !final {
                    return i
                } else {
                    throw XLSXXMLProblem("invalid markup after '<!'", at: i)
                }
            default:
                // Start tag.
                let nameStart = i + 1
                guard isNameStart(p[nameStart]) else { throw XLSXXMLProblem("invalid character after '<'", at: i) }
                // A tag ends with '>': until one has come, there is nothing to parse again. (At the
                // end of the document the tag is parsed in full, so its error is the same however
                // the document was cut.)
                if !final, find(gt, from: max(i + 1, resume)) == nil { return try unfinished(i) }
                var k = nameStart
                var localStart = nameStart
                while k < n && !endsName(p[k]) {
                    if p[k] == colon { localStart = k + 1 }
                    k += 1
                    guard k - nameStart <= Self.maxName else {
                        throw XLSXXMLProblem("an element name is longer than \(Self.maxName) bytes", at: i)
                    }
                }
                guard k < n else { return try unfinished(i) }
                let nameEnd = k
                guard p[k] != equals else { throw XLSXXMLProblem("invalid start tag", at: i) }
                spans.removeAll(keepingCapacity: true)
                var selfClosing = false
                var separated = true
                while true {
                    while k < n && isSpace(p[k]) {
                        k += 1
                        separated = true
                    }
                    guard k < n else { return try unfinished(i) }
                    if p[k] == gt {
                        k += 1
                        break
                    }
                    if p[k] == slash {
                        guard k + 1 < n else { return try unfinished(i) }
                        guard p[k + 1] == gt else { throw XLSXXMLProblem("expected '>' after '/' in a tag", at: k) }
                        selfClosing = true
                        k += 2
                        break
                    }
                    guard separated, isNameStart(p[k]) else {
                        throw XLSXXMLProblem("invalid attribute in <\(string(p, nameStart, nameEnd))>", at: k)
                    }
                    let attrStart = k
                    var attrLocal = k
                    while k < n && !endsName(p[k]) {
                        if p[k] == colon { attrLocal = k + 1 }
                        k += 1
                        guard k - attrStart <= Self.maxName else {
                            throw XLSXXMLProblem("an attribute name is longer than \(Self.maxName) bytes", at: attrStart)
                        }
                    }
                    let attrEnd = k
                    while k < n && isSpace(p[k]) { k += 1 }
                    guard k < n else { return try unfinished(i) }
                    guard p[k] == equals else {
                        throw XLSXXMLProblem("attribute \(string(p, attrStart, attrEnd)) has no value", at: k)
                    }
                    k += 1
                    while k < n && isSpace(p[k]) { k += 1 }
                    guard k < n else { return try unfinished(i) }
                    let q = p[k]
                    guard q == quote || q == apostrophe else {
                        throw XLSXXMLProblem("attribute \(string(p, attrStart, attrEnd)) value is not quoted", at: k)
                    }
                    guard let closeQuote = find(q, from: k + 1) else { return try unfinished(i) }
                    if memchr(p + k + 1, Int32(lt), closeQuote - k - 1) != nil {
                        throw XLSXXMLProblem("'<' in the value of attribute \(string(p, attrStart, attrEnd))", at: k)
                    }
                    guard spans.count < Self.maxAttributes else {
                        throw XLSXXMLProblem("more than \(Self.maxAttributes) attributes in one tag", at: i)
                    }
                    spans.append(
                        .init(
                            nameStart: attrStart, localStart: attrLocal, nameEnd: attrEnd,
                            valueStart: k + 1, valueEnd: closeQuote))
                    k = closeQuote + 1
                    separated = false
                }
                if rootSeen && openEnds.isEmpty {
                    throw XLSXXMLProblem("content after the root element", at: i)
                }
                rootSeen = true
                let name = XLSXXMLName(
                    qualified: UnsafeRawBufferPointer(start: p + nameStart, count: nameEnd - nameStart),
                    local: UnsafeRawBufferPointer(start: p + localStart, count: nameEnd - localStart))
                do {
                    try h.startElement(name, attributes: XLSXXMLAttributes(base: p, spans: spans))
                    if selfClosing { try h.endElement(name) }
                } catch var problem as XLSXXMLProblem {
                    problem.index = problem.index ?? i
                    throw problem
                }
                if !selfClosing {
                    guard openEnds.count < Self.maxDepth else {
                        throw XLSXXMLProblem("elements nested more than \(Self.maxDepth) deep", at: i)
                    }
                    openNames.xlsxAppend(p + nameStart, nameEnd - nameStart)
                    openEnds.append(openNames.count)
                }
                i = k
            }
        }
        return i
    }

    /// Delivers character data `p[start..<end]`, decoded.
    @inline(__always)
    private mutating func text<H: XLSXXMLHandler>(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ h: inout H)
        throws
    {
        if openEnds.isEmpty {
            for k in start..<end where !isSpace(p[k]) {
                throw XLSXXMLProblem(
                    rootSeen ? "content after the root element" : "text before the root element", at: k)
            }
            return
        }
        var k = start
        if end - start >= 64 {
            // Long text: find references and CRs with memchr rather than a byte loop.
            let ampAt = memchr(p + start, Int32(amp), end - start)
            let crAt = memchr(p + start, Int32(cr), end - start)
            k = ampAt == nil && crAt == nil ? end : start
        } else {
            while k < end && p[k] != amp && p[k] != cr { k += 1 }
        }
        if k == end {
            do {
                try h.text(UnsafeRawBufferPointer(start: p + start, count: end - start))
            } catch var problem as XLSXXMLProblem {
                problem.index = problem.index ?? start
                throw problem
            }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        do {
            try Self.decode(p, start, end, attribute: false, into: &scratch)
        } catch var problem as XLSXXMLProblem {
            problem.index = (problem.index ?? 0) + start
            throw problem
        }
        try deliver(scratch: &h, at: start)
    }

    private mutating func deliver<H: XLSXXMLHandler>(scratch h: inout H, at index: Int) throws {
        do {
            try scratch.withUnsafeBytes { try h.text($0) }
        } catch var problem as XLSXXMLProblem {
            problem.index = problem.index ?? index
            throw problem
        }
    }

    private func checkDeclaration(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws {
        let text = string(p, start, end)
        guard let range = text.range(of: "encoding") else { return }
        let rest = text[range.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
        let encoding = rest.prefix { $0 != "\"" && $0 != "'" && $0 != " " }.lowercased()
        guard ["utf-8", "utf8", "us-ascii", "ascii"].contains(encoding) else {
            throw XLSXXMLProblem("unsupported encoding \(encoding) (only UTF-8 is read)", at: start)
        }
    }

    private func name(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> XLSXXMLName {
        var local = start
        for k in start..<end where p[k] == colon { local = k + 1 }
        return XLSXXMLName(
            qualified: UnsafeRawBufferPointer(start: p + start, count: end - start),
            local: UnsafeRawBufferPointer(start: p + local, count: end - local))
    }

    private func string(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: p + start, count: max(0, end - start)), as: UTF8.self)
    }

    /// Appends `p[start..<end]` to `out` with entity and character references replaced and line ends
    /// normalised (in attribute values, whitespace characters become spaces). Problem indices are
    /// relative to `start`.
    static func decode(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, attribute: Bool, into out: inout [UInt8])
        throws
    {
        var i = start
        var run = start
        while i < end {
            let b = p[i]
            if b == amp {
                out.xlsxAppend(p + run, i - run)
                var semi = i + 1
                // A name never holds '&': stopping there gives the same error however the text was cut.
                while semi < end && semi - i <= 12 && p[semi] != 0x3B && p[semi] != amp { semi += 1 }
                guard semi < end && p[semi] == 0x3B else {
                    throw XLSXXMLProblem("unterminated entity reference", at: i - start)
                }
                let body = UnsafeBufferPointer(start: p + i + 1, count: semi - i - 1)
                switch String(decoding: body, as: UTF8.self) {
                case "lt": out.append(lt)
                case "gt": out.append(gt)
                case "amp": out.append(amp)
                case "quot": out.append(quote)
                case "apos": out.append(apostrophe)
                case let ref where ref.hasPrefix("#"):
                    let hex = ref.hasPrefix("#x")
                    let digits = ref.dropFirst(hex ? 2 : 1)
                    guard !digits.isEmpty, digits.allSatisfy({ hex ? $0.isHexDigit : $0.isASCII && $0.isNumber }),
                        let value = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(value),
                        value == 0x9 || value == 0xA || value == 0xD
                            || (value >= 0x20 && value != 0xFFFE && value != 0xFFFF)
                    else {
                        throw XLSXXMLProblem("invalid character reference &\(ref);", at: i - start)
                    }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                case let name:
                    throw XLSXXMLProblem("unknown entity &\(name);", at: i - start)
                }
                i = semi + 1
                run = i
            } else if b == cr {
                out.xlsxAppend(p + run, i - run)
                out.append(attribute ? space : lf)
                i += (i + 1 < end && p[i + 1] == lf) ? 2 : 1
                run = i
            } else if attribute && (b == lf || b == tab) {
                out.xlsxAppend(p + run, i - run)
                out.append(space)
                i += 1
                run = i
            } else {
                i += 1
            }
        }
        out.xlsxAppend(p + run, end - run)
    }
}

extension Array where Element == UInt8 {
    /// Appends `count` bytes from `p` with one copy.
    @inline(__always)
    mutating func xlsxAppend(_ p: UnsafePointer<UInt8>, _ count: Int) {
        guard count > 0 else { return }
        append(contentsOf: UnsafeBufferPointer(start: p, count: count))
    }

    @inline(__always)
    mutating func xlsxAppend(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }
}

/// Number of LF bytes in `p[0..<count]`.
func xlsxCountNewlines(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
    var total = 0
    var i = 0
    while i < count {
        // A narrow accumulator over bounded blocks lets the compiler vectorise the loop.
        let blockEnd = Swift.min(i + 255 * 16, count)
        var block: UInt32 = 0
        while i < blockEnd {
            block &+= p[i] == 0x0A ? 1 : 0
            i += 1
        }
        total += Int(block)
    }
    return total
}
