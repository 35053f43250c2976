import CCurl
import Foundation

/// Sends one message at a time over SMTP with libcurl: AUTH when a user is given, STARTTLS when the
/// server offers it (`smtp://`), TLS from the start (`smtps://`). Each send is its own connection,
/// so a message's outcome is never confused with another's.
public final class SMTPClient: @unchecked Sendable {
    public let url: SMTPURL
    private let password: String?
    private let caFile: String?
    private let connectTimeout: Int
    private let timeout: Int

    /// - Parameters:
    ///   - caFile: certificates (PEM) to trust instead of the system's store, for a server with a
    ///     private certificate authority.
    ///   - connectTimeout, timeout: seconds for the connection, and for the whole exchange.
    public init(url: SMTPURL, password: String?, caFile: String? = nil, connectTimeout: Int = 10, timeout: Int = 60) {
        self.url = url
        self.password = password
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// Delivers `message` (a complete RFC 5322 message, CRLF line ends) from `envelopeFrom` to `recipient`.
    public func send(envelopeFrom: String, recipient: String, message: String) -> SMTPOutcome {
        if let problem = churn_curl_load() { return .transient(String(cString: problem)) }
        guard let h = churn_curl_easy_init() else { return .transient("libcurl: cannot create a handle") }
        defer { churn_curl_easy_cleanup(h) }
        let transfer = Transfer(Array(message.utf8))
        let recipients = churn_curl_slist_append(nil, "<\(recipient)>")
        defer { churn_curl_slist_free_all(recipients) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let result: CURLcode = withExtendedLifetime(transfer) {
            errorBuffer.withUnsafeMutableBufferPointer { eb -> CURLcode in
                let context = Unmanaged.passUnretained(transfer).toOpaque()
                _ = churn_curl_setopt_string(h, CURLOPT_URL, url.curlURL)
                _ = churn_curl_setopt_long(h, CURLOPT_USE_SSL, Int(url.implicitTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
                if let user = url.user { _ = churn_curl_setopt_string(h, CURLOPT_USERNAME, user) }
                if let password { _ = churn_curl_setopt_string(h, CURLOPT_PASSWORD, password) }
                if let caFile { _ = churn_curl_setopt_string(h, CURLOPT_CAINFO, caFile) }
                _ = churn_curl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(envelopeFrom)>")
                _ = churn_curl_setopt_slist(h, CURLOPT_MAIL_RCPT, recipients)
                _ = churn_curl_setopt_long(h, CURLOPT_UPLOAD, 1)
                _ = churn_curl_setopt_long(h, CURLOPT_INFILESIZE_LARGE, transfer.bytes.count)
                _ = churn_curl_setopt_read(h) { buffer, size, count, userdata in
                    guard let buffer, let userdata else { return 0 }
                    let t = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                    let n = min(size * count, t.bytes.count - t.offset)
                    t.bytes.withUnsafeBytes { src in
                        UnsafeMutableRawPointer(buffer).copyMemory(from: src.baseAddress! + t.offset, byteCount: n)
                    }
                    t.offset += n
                    return n
                }
                _ = churn_curl_setopt_pointer(h, CURLOPT_READDATA, context)
                // The server's replies, for a 5xx's own text: libcurl passes them to the debug callback.
                _ = churn_curl_setopt_long(h, CURLOPT_VERBOSE, 1)
                _ = churn_curl_setopt_debug(h) { _, type, data, size, userdata in
                    guard type == CURLINFO_HEADER_IN, let data, let userdata else { return 0 }
                    let t = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
                    t.replyLines.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
                    return 0
                }
                _ = churn_curl_setopt_pointer(h, CURLOPT_DEBUGDATA, context)
                _ = churn_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(eb.baseAddress!))
                _ = churn_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT, connectTimeout)
                _ = churn_curl_setopt_long(h, CURLOPT_TIMEOUT, timeout)
                _ = churn_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
                return churn_curl_easy_perform(h)
            }
        }
        if result == CURLE_OK { return .accepted }

        var code = 0
        _ = churn_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &code)
        let curlText = String(cString: errorBuffer).isEmpty ? String(cString: churn_curl_easy_strerror(result)) : String(cString: errorBuffer)
        let reply = transfer.lastReply(code: code)
        switch code {
        case 400..<500: return .transient("server replied \(reply ?? String(code)) (\(curlText))")
        case 500..<600: return .permanent(reply ?? "\(code) (\(curlText))")
        default: return .transient("\(curlText) (\(url))")
        }
    }
}

/// What one send's callbacks share: the bytes to upload and the server's replies seen.
private final class Transfer {
    let bytes: [UInt8]
    var offset = 0
    var replyLines: [String] = []
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The last reply with this code, multi-line replies joined: "550 5.1.1 No such mailbox".
    func lastReply(code: Int) -> String? {
        guard code > 0 else { return nil }
        let prefix = String(code)
        var lines: [String] = []
        for line in replyLines.reversed() {
            if line.hasPrefix(prefix) { lines.insert(line, at: 0) } else if !lines.isEmpty { break }
        }
        guard !lines.isEmpty else { return nil }
        return lines.enumerated().map { $0.offset == 0 ? $0.element : String($0.element.dropFirst(4)) }.joined(separator: " ")
    }
}
