import ChurnReport
import ChurnStore
import Foundation

/// The admins' page of accounts (`GET /users`): every user with forms to change their role, set
/// their password or remove them; a form to add one; every API token with a revoke button, and a
/// form to create one. Everything `churn users` and `churn tokens` do, for an admin in a browser.
/// Every value is escaped; every form carries the session's CSRF token.
enum UsersPage {
    static func render(users: [AccountStore.User], tokens: [AccountStore.Token], now: Date = Date(),
                       message: String?, error: String?) -> String {
        var s = ""
        if let message { s += "<p class=\"notice\" id=\"users-message\" role=\"status\">\(HTML.escape(message))</p>" }
        if let error { s += "<p class=\"error\" id=\"users-error\" role=\"alert\">\(HTML.escape(error))</p>" }
        s += "<section class=\"card\"><h2>Users</h2>"
        s += "<p>Viewers read runs, customers and reports; analysts also upload, score and send offers; admins also manage "
        s += "users, tokens, models and the cluster. Changing a password signs that user out everywhere.</p>"
        s += "<table class=\"users\" id=\"users-table\"><thead><tr><th>Name</th><th>Role</th><th>Since</th><th>Active tokens</th>"
        s += "<th>Change role</th><th>New password</th><th>Remove</th></tr></thead><tbody>"
        for user in users {
            let name = HTML.escape(user.name), path = "/users/" + pathComponent(user.name)
            let active = tokens.filter { $0.userId == user.id && $0.state(at: now) == .active }.count
            s += "<tr data-user=\"\(name)\"><td>\(name)</td><td class=\"role\">\(HTML.escape(user.role))</td>"
            s += "<td>\(HTML.escape(PageLayout.date(user.createdAt)))</td><td>\(active)</td>"
            s += "<td>" + inlineForm("\(path)/role", roleSelect(selected: user.role), button: "Change") + "</td>"
            s += "<td>" + inlineForm("\(path)/password", passwordInput(" aria-label=\"New password for \(name)\""), button: "Set") + "</td>"
            s += "<td>" + inlineForm("\(path)/remove", "<input name=\"confirm\" placeholder=\"type \(name) to confirm\" "
                                     + "aria-label=\"Type \(name) to confirm\" required>", button: "Remove") + "</td></tr>"
        }
        s += "</tbody></table>"
        s += "<h3>Add a user</h3><form method=\"post\" action=\"/users\" id=\"add-user-form\">\(AccountNavigation.csrfField)"
        s += "<label>Name <input name=\"name\" pattern=\"[A-Za-z0-9._@\\-]{1,64}\" required></label> "
        s += "<label>Role \(roleSelect(selected: Role.viewer.rawValue))</label> "
        s += "<label>Password \(passwordInput(""))</label> <button type=\"submit\">Add</button></form></section>"

        s += "<section class=\"card\"><h2>API tokens</h2><p>A token acts with its user's role "
        s += "(<code>Authorization: Bearer churn_…</code>). Only its SHA-256 is kept: it is shown once, when it is made.</p>"
        s += "<table class=\"tokens\" id=\"tokens-table\"><thead><tr><th>Id</th><th>User</th><th>Label</th><th>Created</th>"
        s += "<th>Expires</th><th>State</th><th></th></tr></thead><tbody>"
        for token in tokens {
            let state = token.state(at: now)
            s += "<tr data-token=\"\(token.id)\"><td>\(token.id)</td><td>\(HTML.escape(token.userName))</td><td>\(HTML.escape(token.label))</td>"
            s += "<td>\(HTML.escape(PageLayout.date(token.createdAt)))</td><td>\(token.expiresAt.map { HTML.escape(PageLayout.date($0)) } ?? "never")</td>"
            s += "<td class=\"state\">\(state.rawValue)</td><td>"
            if state == .active { s += inlineForm("/tokens/\(token.id)/revoke", "", button: "Revoke") }
            s += "</td></tr>"
        }
        s += "</tbody></table>"
        s += "<h3>Create a token</h3><form method=\"post\" action=\"/tokens\" id=\"create-token-form\">\(AccountNavigation.csrfField)"
        s += "<label>User <select name=\"user\">"
        for user in users { s += "<option>\(HTML.escape(user.name))</option>" }
        s += "</select></label> <label>Label <input name=\"label\" maxlength=\"200\"></label> "
        s += "<label>Expires in <input name=\"expires\" placeholder=\"90d, 12h; empty: never\" pattern=\"[0-9.]+[smhdw]?\"></label> "
        s += "<button type=\"submit\">Create</button></form></section>"
        return s
    }

    /// The one time a new token is shown.
    static func tokenCreated(id: Int64, user: String, token: String, expires: String?) -> String {
        """
        <section class="card"><h2>Token \(id) for \(HTML.escape(user))</h2>
        <p>Copy it now: it is shown only once\(expires.map { " and expires in \(HTML.escape($0))" } ?? ", and it does not expire").</p>
        <p><code id="new-token">\(HTML.escape(token))</code></p>
        <p><a href="/users">Back to users and tokens</a></p></section>
        """
    }

    /// A one-button form that posts to `action` with the session's CSRF token.
    private static func inlineForm(_ action: String, _ fields: String, button: String) -> String {
        "<form class=\"inline\" method=\"post\" action=\"\(action)\">\(AccountNavigation.csrfField)\(fields)"
            + (fields.isEmpty ? "" : " ") + "<button type=\"submit\">\(button)</button></form>"
    }

    /// A new password's field, with the length `Accounts` requires.
    private static func passwordInput(_ attributes: String) -> String {
        "<input type=\"password\" name=\"password\" minlength=\"\(Accounts.minimumPasswordLength)\" autocomplete=\"new-password\"\(attributes) required>"
    }

    private static func roleSelect(selected: String) -> String {
        "<select name=\"role\">" + Role.allCases.map {
            "<option\($0.rawValue == selected ? " selected" : "")>\($0.rawValue)</option>"
        }.joined() + "</select>"
    }

    /// A user name in a URL path (names are letters, digits and `._@-`; escaped all the same).
    static func pathComponent(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-"))) ?? name
    }
}
