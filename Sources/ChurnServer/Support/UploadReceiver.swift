import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// Streams an upload to a file under the uploads directory as it arrives: a raw body (`text/csv`,
/// the XLSX media type, `application/octet-stream`) or the `file` field of a `multipart/form-data`
/// body. Never holds the file in memory; past `limit` bytes it removes what it wrote and answers 413.
struct UploadReceiver {
    let directory: String
    let limit: Int64

    /// What arrived: the stored file and the small form fields sent beside it (`sheet`, `rank_by`, `top`).
    struct Received {
        var file: UploadedFile
        var fields: [String: String]
    }

    static let xlsxMediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    func receive(_ request: Request, suggestedName: String?) async throws -> Received {
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length > limit {
            throw HTTPError(.contentTooLarge, message: "upload of \(length) bytes is over the limit of \(limit) bytes (--max-upload)")
        }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if mediaType == "multipart/form-data" {
            guard let boundary = Self.parameter("boundary", of: contentType) else {
                throw HTTPError(.badRequest, message: "multipart/form-data without a boundary")
            }
            return try await receiveMultipart(request.body, boundary: boundary)
        }
        let isXLSX = mediaType == Self.xlsxMediaType
        guard isXLSX || mediaType == "text/csv" || mediaType == "application/octet-stream" || mediaType.isEmpty else {
            throw HTTPError(.unsupportedMediaType, message: "send text/csv, \(Self.xlsxMediaType) or multipart/form-data with a field named file")
        }
        let name = Self.safeName(suggestedName ?? (isXLSX ? "upload.xlsx" : "upload.csv"))
        let sink = try UploadSink(directory: directory, name: name, limit: limit)
        do {
            for try await buffer in request.body { try sink.write(buffer) }
            return Received(file: try sink.finish(), fields: [:])
        } catch {
            sink.discard()
            throw error
        }
    }

    private func receiveMultipart(_ body: RequestBody, boundary: String) async throws -> Received {
        let parser = MultipartParser(boundary: boundary)
        let state = MultipartState()
        parser.onHeader = { name, value in
            guard name.lowercased() == "content-disposition" else { return }
            state.partName = Self.parameter("name", of: value)
            state.partFileName = Self.parameter("filename", of: value)
        }
        parser.onBody = { buffer in
            if state.partName == "file" {
                do {
                    if state.sink == nil {
                        state.sink = try UploadSink(directory: directory, name: Self.safeName(state.partFileName ?? "upload.csv"), limit: limit)
                    }
                    try state.sink!.write(buffer)
                } catch {
                    state.error = state.error ?? error
                }
            } else if let name = state.partName, state.fieldBytes + buffer.readableBytes <= 4096 {
                state.fieldBytes += buffer.readableBytes
                state.fields[name, default: ""] += buffer.readString(length: buffer.readableBytes) ?? ""
            }
        }
        parser.onPartComplete = {
            if state.partName == "file", state.file == nil, let sink = state.sink, state.error == nil {
                do { state.file = try sink.finish() } catch { state.error = error }
            }
            state.partName = nil
            state.partFileName = nil
        }
        do {
            for try await buffer in body {
                try parser.execute(buffer)
                if let error = state.error { throw error }
            }
            guard let file = state.file else {
                throw HTTPError(.badRequest, message: "the multipart body has no field named file")
            }
            return Received(file: file, fields: state.fields)
        } catch {
            state.sink?.discard()
            if let error = error as? HTTPError { throw error }
            if error is CancellationError { throw error }
            // Anything else the parser throws is a malformed body.
            throw HTTPError(.badRequest, message: "malformed multipart body: \(error)")
        }
    }

    /// Parser callbacks run synchronously inside `execute`; this holds what they found.
    private final class MultipartState {
        var partName: String?
        var partFileName: String?
        var sink: UploadSink?
        var file: UploadedFile?
        var fields: [String: String] = [:]
        var fieldBytes = 0
        var error: Error?
    }

    /// `name="x"` or `name=x` out of a header value.
    static func parameter(_ key: String, of header: String) -> String? {
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].lowercased() == key else { continue }
            var v = kv[1]
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }

    /// The last path component, without control characters or separators: a client's name is never a path.
    static func safeName(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{7F}" }.map(Character.init))
        let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed == "." || trimmed == ".." ? "upload.csv" : String(trimmed.prefix(200))
    }
}

/// One upload being written: a directory of its own (so the client's file name is kept) and a
/// byte count checked against the limit on every write.
private final class UploadSink {
    let path: String
    let name: String
    let limit: Int64
    private let handle: FileHandle
    private var bytes: Int64 = 0
    private let folder: String

    init(directory: String, name: String, limit: Int64) throws {
        folder = directory + "/" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/" + name
        self.name = name
        self.limit = limit
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw HTTPError(.internalServerError, message: "cannot store the upload")
        }
        handle = h
    }

    func write(_ buffer: ByteBuffer) throws {
        bytes += Int64(buffer.readableBytes)
        guard bytes <= limit else {
            throw HTTPError(.contentTooLarge, message: "upload is over the limit of \(limit) bytes (--max-upload)")
        }
        try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
    }

    /// The stored file; an empty upload is refused (400) and removed: there is nothing to score.
    func finish() throws -> UploadedFile {
        try handle.close()
        guard bytes > 0 else {
            discard()
            throw HTTPError(.badRequest, message: "the upload is empty: send the file as the body (Content-Type: text/csv or "
                + "\(UploadReceiver.xlsxMediaType)) or as multipart/form-data with a field named file")
        }
        return UploadedFile(path: path, name: name, bytes: bytes)
    }

    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
