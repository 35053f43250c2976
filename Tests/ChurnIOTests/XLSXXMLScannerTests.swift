import XCTest

@testable import ChurnIO

/// Records scanner events as text, joining adjacent text pieces.
private struct Recorder: XLSXXMLHandler {
    var events: [String] = []
    private var pendingText: [UInt8] = []

    mutating func startElement(_ name: XLSXXMLName, attributes: XLSXXMLAttributes) throws {
        flushText()
        var event = "<" + name.string
        if let value = try attributes.string("r") { event += " r=\(value)" }
        if let value = try attributes.string("t") { event += " t=\(value)" }
        if let value = try attributes.string("Id") { event += " Id=\(value)" }
        if let value = try attributes.string("Target") { event += " Target=\(value)" }
        if let id = try attributes.string("id", prefixed: true) { event += " r:id=\(id)" }
        events.append(event + ">")
    }

    mutating func endElement(_ name: XLSXXMLName) throws {
        flushText()
        events.append("</" + String(decoding: name.local, as: UTF8.self) + ">")
    }

    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {
        pendingText.append(contentsOf: bytes)
    }

    mutating func finish() -> [String] {
        flushText()
        return events
    }

    private mutating func flushText() {
        if !pendingText.isEmpty { events.append("text:" + String(decoding: pendingText, as: UTF8.self)) }
        pendingText.removeAll()
    }
}

final class XLSXXMLScannerTests: XCTestCase {
    private let document = Array(
        ("\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- c -->"
            + "<x:root xmlns:x=\"urn:x\" xmlns:r=\"urn:r\"><x:c r=\"A1\" t='s' r:id=\"rId&amp;7\">"
            + "<x:v>a&lt;b&#65;&#x42;\r\nc</x:v></x:c>"
            + "<empty/><x:t><![CDATA[<raw> & \r\n]]>tail</x:t>  <?pi x?>\n"
            + "<Relationship Id=\"i\" Target=\"a\tb\"/></x:root>\n")
            .utf8)

    private let expected = [
        "<x:root>", "<x:c r=A1 t=s r:id=rId&7>", "<x:v>", "text:a<bAB\nc", "</v>", "</c>", "<empty>", "</empty>",
        "<x:t>", "text:<raw> & \ntail", "</t>", "text:  \n", "<Relationship Id=i Target=a b>", "</Relationship>",
        "</root>",
    ]

    private func scan(_ pieces: [ArraySlice<UInt8>]) throws -> [String] {
        var scanner = XLSXXMLScanner()
        var recorder = Recorder()
        for piece in pieces {
            try Array(piece).withUnsafeBytes { try scanner.feed($0, into: &recorder) }
        }
        try scanner.finish(into: &recorder)
        return recorder.finish()
    }

    func testWholeDocument() throws {
        XCTAssertEqual(try scan([document[...]]), expected)
    }

    func testEverySplitPointGivesTheSameEvents() throws {
        for split in 0...document.count {
            XCTAssertEqual(try scan([document[..<split], document[split...]]), expected, "split at \(split)")
        }
    }

    func testByteByByte() throws {
        XCTAssertEqual(try scan(document.indices.map { document[$0...$0] }), expected)
    }

    func testErrorsAreLocatedAcrossChunks() {
        let xml = Array("<a>\n  <b>\n    <c></b>\n</a>".utf8)
        for split in 0...xml.count {
            XCTAssertThrowsError(try scan([xml[..<split], xml[split...]])) { error in
                let failure = error as? XLSXXMLFailure
                XCTAssertEqual(failure?.message, "end tag </b> does not match <c>")
                XCTAssertEqual(failure?.line, 3, "split at \(split)")
                XCTAssertEqual(failure?.column, 8, "split at \(split)")
            }
        }
    }

    func testMalformedDocuments() {
        let cases: [(String, String)] = [
            ("<a><b></a>", "end tag </a> does not match <b>"),
            ("<a>", "unexpected end of the document: <a> is not closed"),
            ("<a x=1/>", "attribute x value is not quoted"),
            ("<a x=\"1\"y=\"2\"/>", "invalid attribute in <a>"),
            ("<a>&bogus;</a>", "unknown entity &bogus;"),
            ("<a>&#0;</a>", "invalid character reference &#0;"),
            ("<a>AT&T</a>", "unterminated entity reference"),
            ("<a/><b/>", "content after the root element"),
            ("text<a/>", "text before the root element"),
            ("<a/>text", "content after the root element"),
            ("", "no root element"),
            ("<a x=\"<\"/>", "'<' in the value of attribute x"),
            ("<a><!-- open", "unexpected end of the document"),
            ("</a>", "end tag </a> without a start tag"),
            ("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>", "unsupported encoding utf-16 (only UTF-8 is read)"),
            ("<a/><?xml version=\"1.0\"?>", "XML declaration not at the start of the document"),
            (String(repeating: "<a>", count: 257), "elements nested more than 256 deep"),
            ("<a" + String(repeating: " x=\"\"", count: 1025) + "/>", "more than 1024 attributes in one tag"),
        ]
        for (xml, message) in cases {
            XCTAssertThrowsError(try scan([Array(xml.utf8)[...]]), xml) { error in
                XCTAssertEqual((error as? XLSXXMLFailure)?.message, message, xml)
            }
        }
    }

    /// Found by the FuzzXLSXSheet fuzzer: an '&' inside a broken reference gave "unknown entity" when
    /// the text came whole and "unterminated entity reference" when it came in pieces.
    func testBrokenReferenceGivesOneErrorHoweverTheTextIsCut() {
        let xml = Array("<a>x&lt3&amp;y</a>".utf8)
        for split in 0...xml.count {
            XCTAssertThrowsError(try scan([xml[..<split], xml[split...]])) { error in
                let failure = error as? XLSXXMLFailure
                XCTAssertEqual(failure?.message, "unterminated entity reference", "split at \(split)")
                XCTAssertEqual(failure?.column, 5, "split at \(split)")
            }
        }
    }

    /// Found by the FuzzXLSXSheet fuzzer: a malformed document gives one error, at one place, however
    /// it is cut into chunks (the scanner resumes unfinished constructs without rescanning them).
    func testMalformedDocumentsGiveOneErrorHoweverTheyAreCut() throws {
        let documents = ["<a><row r2\"=\"><c r=\"C2\" t=\"", "<a><!-- x -- y --", "<a><b x=\"1\" y=2 >z</b></a>",
                         "<a>x&lt3&amp;y</a>", "<a><![CDATA[ ]] ]>", "<a><?pi ? >"]
        for text in documents {
            let xml = Array(text.utf8)
            func failure(_ pieces: [ArraySlice<UInt8>]) -> String {
                do {
                    _ = try scan(pieces)
                    return "no error"
                } catch let f as XLSXXMLFailure {
                    return "\(f.line):\(f.column): \(f.message)"
                } catch {
                    return "\(error)"
                }
            }
            let whole = failure([xml[...]])
            XCTAssertNotEqual(whole, "no error", text)
            for split in 0...xml.count {
                XCTAssertEqual(failure([xml[..<split], xml[split...]]), whole, "\(text) split at \(split)")
            }
            XCTAssertEqual(failure(xml.indices.map { xml[$0...$0] }), whole, "\(text) byte by byte")
        }
    }

    func testLongTextIsDeliveredWithoutWaitingForTheEnd() throws {
        // A text node longer than the construct limit is fine: text is passed on as it arrives.
        var scanner = XLSXXMLScanner()
        var recorder = Recorder()
        try Array("<a>".utf8).withUnsafeBytes { try scanner.feed($0, into: &recorder) }
        let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<40 {
            try piece.withUnsafeBytes { try scanner.feed($0, into: &recorder) }
        }
        try Array("&amp;</a>".utf8).withUnsafeBytes { try scanner.feed($0, into: &recorder) }
        try scanner.finish(into: &recorder)
        let events = recorder.finish()
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[1].utf8.count, "text:".utf8.count + 40 << 20 + 1)
    }

    func testCSVFieldQuoting() {
        func field(_ s: String) -> String {
            var out: [UInt8] = []
            Array(s.utf8).withUnsafeBytes { _ = XLSXText.appendStringField($0, to: &out) }
            return String(decoding: out, as: UTF8.self)
        }
        XCTAssertEqual(field("plain"), "plain")
        XCTAssertEqual(field("a,b"), "\"a,b\"")
        XCTAssertEqual(field("a\"b"), "\"a\"\"b\"")
        XCTAssertEqual(field("a\nb"), "\"a\nb\"")
        XCTAssertEqual(field(" a"), "\" a\"")
        XCTAssertEqual(field("a\t"), "\"a\t\"")
        XCTAssertEqual(field("a b"), "a b")
        XCTAssertEqual(field("tab_x0009_here"), "tab\there")
        XCTAssertEqual(field("_x000D__x000A_"), "\"\r\n\"")
        XCTAssertEqual(field("_xD83D__xDE00_"), "😀")
        XCTAssertEqual(field("_x00zz_ and _x12"), "_x00zz_ and _x12")
        XCTAssertEqual(field("_x005F_x0041_"), "_x0041_")
    }
}
