import Foundation

/// An editable offer template: a subject and a plain-text body with `{{placeholders}}`. The HTML
/// part is made from the rendered text, so one file edits both.
///
/// A template file (`NAME.txt`) starts with a `Subject:` line, then a blank line, then the body.
public struct OfferTemplate: Sendable, Equatable {
    public var name: String
    public var subject: String
    public var body: String

    /// Every placeholder a template may use.
    public static let placeholders: [String: String] = [
        "customer_id": "the customer's id",
        "name": "the greeting name taken from the address (\"Jane\", or \"there\")",
        "email": "the customer's address",
        "drivers": "what drives the customer's risk, in the report's words",
        "offer": "the suggested intervention",
        "risk_level": "Low, Medium or High",
        "company": "the sending company (--company)",
        "sender": "the person signing (--sender-name)",
        "draft_subject": "the report's drafted subject for the customer's theme",
        "draft": "the report's drafted text for the customer's theme, greeting and signature included",
        "unsubscribe_url": "the customer's signed unsubscribe link",
    ]

    /// The line with the unsubscribe link below every built-in or edited text.
    public static let unsubscribeLine = """
        --
        You receive this e-mail because you are our customer. To receive no more offers like this one, \
        open {{unsubscribe_url}}
        """

    /// The built-in template: the report's draft, with the unsubscribe link below it.
    public static func builtIn(name: String) -> OfferTemplate {
        OfferTemplate(name: name, subject: "{{draft_subject}}", body: "{{draft}}\n\n" + unsubscribeLine)
    }

    public init(name: String, subject: String, body: String) {
        self.name = name
        self.subject = subject
        self.body = body
    }

    /// Reads `directory/NAME.txt`; nil when there is no such file. Errors name the file and line.
    public static func load(directory: String, name: String) throws -> OfferTemplate? {
        let path = (directory as NSString).appendingPathComponent(name + ".txt")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let text = String(data: data, encoding: .utf8) else { throw TemplateError(path: path, line: 1, "is not UTF-8 text") }
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.lowercased().hasPrefix("subject:") else {
            throw TemplateError(path: path, line: 1, "must start with a \"Subject:\" line")
        }
        guard lines.count >= 2, lines[1].trimmingCharacters(in: .whitespaces).isEmpty else {
            throw TemplateError(path: path, line: 2, "a blank line must separate the subject from the body")
        }
        let template = OfferTemplate(name: name, subject: first.dropFirst(8).trimmingCharacters(in: .whitespaces),
                                     body: lines.dropFirst(2).joined(separator: "\n"))
        for (n, line) in lines.enumerated() {
            for p in Self.names(in: String(line)) where placeholders[p] == nil {
                throw TemplateError(path: path, line: n + 1, "unknown placeholder {{\(p)}} (known: \(placeholders.keys.sorted().joined(separator: ", ")))")
            }
        }
        return template
    }

    static func names(in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out.append(String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return out
    }

    /// The template with each `{{name}}` replaced by its value.
    public func render(_ values: [String: String]) -> (subject: String, body: String) {
        func fill(_ text: String) -> String {
            var out = text
            for (k, v) in values { out = out.replacingOccurrences(of: "{{\(k)}}", with: v) }
            return out
        }
        return (fill(subject).replacingOccurrences(of: "\n", with: " "), fill(body))
    }
}

/// A template file that cannot be used: which file, which line, why.
public struct TemplateError: Error, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String
    init(path: String, line: Int, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }
    public var description: String { "\(path):\(line): \(message)" }
}
