import Foundation
import ChurnReport

/// The parts of every page that depend on who is signed in (`Identity.current`): the links their
/// role may follow, their name with a sign-out form, and the CSRF token the page's script sends.
enum AccountNavigation {
    /// Links a visitor's role may open; none when nobody is signed in (the sign-in page).
    static func links(_ items: [(href: String, label: String, key: String)], active: String) -> String {
        guard let identity = Identity.current else { return "" }
        var items = items
        if identity.role >= .admin { items += [("/users", "Users", "users"), ("/audit", "Audit", "audit")] }
        return items.filter { item in
            guard case .atLeast(let role)? = AccessRules.access(method: .get, path: item.href) else { return true }
            return identity.role >= role
        }.map { "<a href=\"\($0.href)\"\($0.key == active ? " class=\"active\"" : "")>\($0.label)</a>" }.joined()
    }

    /// `<meta name="csrf-token">` for the dashboard's script (sent as `X-CSRF-Token`).
    static var csrfMeta: String {
        guard let csrf = Identity.current?.csrf else { return "" }
        return "<meta name=\"csrf-token\" content=\"\(HTML.escape(csrf))\">"
    }

    /// A hidden `csrf` field for a URL-encoded form that changes state.
    static var csrfField: String {
        guard let csrf = Identity.current?.csrf else { return "" }
        return "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
    }

    /// `csrf=TOKEN` for the action URL of a multipart form (its body is a stream the check cannot read).
    static var csrfQuery: String {
        guard let csrf = Identity.current?.csrf else { return "" }
        return "csrf=" + (csrf.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    /// "name (role)" and a sign-out button.
    static var signedIn: String {
        guard let identity = Identity.current else { return "" }
        let form = identity.csrf.map {
            "<form method=\"post\" action=\"/logout\" class=\"inline\" id=\"logout-form\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape($0))\"><button type=\"submit\">Sign out</button></form>"
        } ?? ""
        return "<div class=\"account\"><span id=\"signed-in-as\">\(HTML.escape(identity.name)) (\(identity.role.rawValue))</span> \(form)</div>"
    }
}
