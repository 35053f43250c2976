import ChurnCore
import ChurnIO

/// How an input file's columns map onto a model: which field feeds which feature, which is the id,
/// the e-mail and the revenue. Built from the header once per input.
public struct ColumnBinding: Sendable {
    /// What a field of the input is used for.
    public enum Role: Sendable, Equatable {
        case numeric(Int)
        case categorical(Int)
        case id
        case email
        case revenue
        case unused
    }

    public let header: [String]
    public let roles: [Role]
    public let idField: Int?
    public let emailField: Int?
    public let revenueField: Int?
    /// When the revenue column is also a numeric feature, its feature index.
    public let revenueFeature: Int?

    /// Binds `header` to `model`; a missing required column is an error naming it.
    public init(header: [String], model: ChurnModel, file: String) throws {
        self.header = header
        var roles = [Role](repeating: .unused, count: header.count)
        let index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var missing: [String] = []
        for (j, f) in model.numeric.enumerated() {
            if let i = index[f.column] { roles[i] = .numeric(j) } else { missing.append(f.column) }
        }
        for (j, f) in model.categorical.enumerated() {
            if let i = index[f.column] { roles[i] = .categorical(j) } else { missing.append(f.column) }
        }
        if let id = model.idColumn {
            if let i = index[id] { roles[i] = .id } else { missing.insert(id, at: 0) }
        }
        guard missing.isEmpty else {
            throw InputError(file: file, line: 1,
                             "missing required column\(missing.count > 1 ? "s" : "") \(missing.map { "'\($0)'" }.joined(separator: ", ")) (the model needs: \(model.requiredColumns.joined(separator: ", ")))")
        }
        idField = model.idColumn.flatMap { index[$0] }
        emailField = model.emailColumn.flatMap { index[$0] }
        if let e = emailField, roles[e] == .unused { roles[e] = .email }
        revenueField = model.revenueColumn.flatMap { index[$0] }
        revenueFeature = model.revenueColumn.flatMap { name in model.numeric.firstIndex { $0.column == name } }
        if let r = revenueField, roles[r] == .unused { roles[r] = .revenue }
        self.roles = roles
    }
}
