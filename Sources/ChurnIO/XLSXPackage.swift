import Foundation
import ZIPFoundation

/// The zip archive of an .xlsx file: finds parts by name and streams a part's XML to a handler.
/// One instance per thread (ZIPFoundation's `Archive` reads through one shared file position).
struct XLSXPackage {
    let path: String
    private let archive: Archive
    private let entries: [String: Entry]
    /// Lower-cased part names, for packages written with unusual capitalisation.
    private let folded: [String: String]

    /// Opens the archive, telling a zip apart from other files so errors say what the file is.
    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw XLSXError(path: path, .unreadable("no such file"))
        }
        guard !isDirectory.boolValue else { throw XLSXError(path: path, .unreadable("is a directory, not a file")) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw XLSXError(path: path, .unreadable("cannot be read"))
        }
        let magic = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
        try? handle.close()
        if magic == [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
            throw XLSXError(path: path, .encryptedOrLegacy)
        }
        guard magic.count >= 4, magic[0] == 0x50, magic[1] == 0x4B else { throw XLSXError(path: path, .notZip) }
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw XLSXError(path: path, .damagedPart("zip directory", "cannot be read (\(error))"))
        }
        var entries: [String: Entry] = [:]
        var folded: [String: String] = [:]
        for entry in archive where entry.type == .file {
            var name = entry.path.replacingOccurrences(of: "\\", with: "/")
            while name.hasPrefix("/") { name.removeFirst() }
            entries[name] = entry
            folded[name.lowercased()] = name
        }
        self.entries = entries
        self.folded = folded
    }

    /// The archive's name for `part`, matching exactly or else ignoring case.
    func name(of part: String) -> String? {
        entries[part] != nil ? part : folded[part.lowercased()]
    }

    /// Streams the XML of `part` into `handler`, checking the CRC. Errors become `XLSXError`s that
    /// name the file and the part; errors of the caller's `emit` come out as `XLSXCallerError`.
    func stream<H: XLSXXMLHandler>(part: String, into handler: inout H) throws {
        guard let name = name(of: part), let entry = entries[name] else {
            throw XLSXError(path: path, .missingPart(part))
        }
        var scanner = XLSXXMLScanner()
        var checksum: UInt32 = 0
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: true) { data in
                try data.withUnsafeBytes { bytes in
                    checksum = XLSXCRC32.update(checksum, bytes)
                    try scanner.feed(bytes, into: &handler)
                }
            }
            guard checksum == entry.checksum else {
                throw XLSXError(path: path, .damagedPart(name, "CRC mismatch: the data is corrupt"))
            }
            try scanner.finish(into: &handler)
        } catch let failure as XLSXXMLFailure {
            throw XLSXError(
                path: path, .invalidXML(part: name, line: failure.line, column: failure.column, failure.message))
        } catch let error as XLSXError {
            throw error
        } catch let error as XLSXCallerError {
            throw error
        } catch {
            throw XLSXError(path: path, .damagedPart(name, "cannot be decompressed (\(error))"))
        }
    }

    /// The relationships of `part` (from `dir/_rels/name.rels`), or nil when it has none.
    func relationships(of part: String) throws -> [String: XLSXRelationship]? {
        let slash = part.lastIndex(of: "/")
        let directory = slash.map { String(part[...$0]) } ?? ""
        let file = slash.map { String(part[part.index(after: $0)...]) } ?? part
        let relsPart = directory + "_rels/" + file + ".rels"
        guard name(of: relsPart) != nil else { return nil }
        var handler = XLSXRelationshipsHandler(source: part)
        try stream(part: relsPart, into: &handler)
        return handler.relationships
    }
}

/// One relationship of a package part: its type (a URI) and the resolved part name of its target.
struct XLSXRelationship {
    var type: String
    var target: String

    /// Whether the type URI ends with `/suffix` (transitional and strict OOXML share the suffixes).
    func hasType(_ suffix: String) -> Bool { type.hasSuffix("/" + suffix) }

    /// Resolves a relationship target against the part that holds the relationship.
    static func resolve(_ target: String, from source: String) -> String {
        let cleaned = (target.removingPercentEncoding ?? target).replacingOccurrences(of: "\\", with: "/")
        var segments = cleaned.hasPrefix("/") ? [] : source.split(separator: "/").dropLast().map(String.init)
        for segment in cleaned.split(separator: "/") where segment != "." {
            if segment == ".." {
                if !segments.isEmpty { segments.removeLast() }
            } else {
                segments.append(String(segment))
            }
        }
        return segments.joined(separator: "/")
    }
}

/// Collects the `<Relationship>` elements of a .rels part.
struct XLSXRelationshipsHandler: XLSXXMLHandler {
    let source: String
    var relationships: [String: XLSXRelationship] = [:]

    init(source: String) { self.source = source }

    mutating func startElement(_ name: XLSXXMLName, attributes: XLSXXMLAttributes) throws {
        guard name.is("Relationship"), try attributes.string("TargetMode") != "External",
            let id = try attributes.string("Id"), let target = try attributes.string("Target")
        else { return }
        let type = try attributes.string("Type") ?? ""
        relationships[id] = XLSXRelationship(type: type, target: XLSXRelationship.resolve(target, from: source))
    }

    mutating func endElement(_ name: XLSXXMLName) throws {}
    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {}
}

/// Collects the sheets listed in workbook.xml, in workbook (tab) order.
struct XLSXWorkbookHandler: XLSXXMLHandler {
    var sheets: [(name: String, relationship: String, visible: Bool)] = []
    private var inSheets = false

    mutating func startElement(_ name: XLSXXMLName, attributes: XLSXXMLAttributes) throws {
        if name.is("sheets") {
            inSheets = true
        } else if inSheets && name.is("sheet") {
            guard let sheetName = try attributes.string("name") else { throw XLSXXMLProblem("<sheet> without a name") }
            guard let id = try attributes.string("id", prefixed: true) else {
                throw XLSXXMLProblem("sheet '\(sheetName)' has no r:id")
            }
            let state = try attributes.string("state")
            sheets.append((sheetName, id, state == nil || state == "visible"))
        }
    }

    mutating func endElement(_ name: XLSXXMLName) throws {
        if name.is("sheets") { inSheets = false }
    }

    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {}
}
