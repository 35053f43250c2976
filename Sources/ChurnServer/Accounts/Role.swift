/// What a signed-in person may do. Each role includes the ones below it:
/// `viewer` reads runs, customers and reports; `analyst` also uploads and scores, refreshes, drafts
/// and sends offers; `admin` also manages users, other people's tokens, models, settings, the
/// cluster and reads the audit log.
public enum Role: String, CaseIterable, Comparable, Sendable, Codable {
    case viewer, analyst, admin

    private var rank: Int {
        switch self {
        case .viewer: return 0
        case .analyst: return 1
        case .admin: return 2
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}

/// Who may call a route: anybody (`/healthz`, `/login`, static files), or a signed-in person of at
/// least a role.
public enum Access: Equatable, Sendable, CustomStringConvertible {
    case anybody
    case atLeast(Role)

    public var description: String {
        switch self {
        case .anybody: return "anybody"
        case .atLeast(let role): return role.rawValue
        }
    }
}
