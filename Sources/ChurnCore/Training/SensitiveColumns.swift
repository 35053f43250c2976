/// Columns whose names denote protected attributes. They are not used as features unless the user
/// asks for them (`--allow-sensitive COL`): a model should not advise on a customer's gender.
public enum SensitiveColumns {
    /// Name words (after splitting on non-letters and camelCase) that mark a protected attribute,
    /// with the attribute they denote.
    public static let words: [String: String] = [
        "gender": "gender", "sex": "sex", "race": "race", "racial": "race", "ethnicity": "ethnicity",
        "ethnic": "ethnicity", "religion": "religion", "religious": "religion", "faith": "religion",
        "marital": "marital status", "married": "marital status", "nationality": "nationality",
        "citizenship": "nationality",
    ]

    /// The protected attribute a column's name denotes, or nil. `Gender`, `customer_sex`,
    /// `MaritalStatus` and `is_married` match; `grace_period` and `Essex` do not.
    public static func attribute(of column: String) -> String? {
        for word in nameWords(column) { if let a = words[word] { return a } }
        return nil
    }

    /// "MaritalStatus" → ["marital", "status"]; "customer_sex" → ["customer", "sex"].
    static func nameWords(_ name: String) -> [String] {
        var out: [String] = []
        var current = ""
        var previousLower = false
        for ch in name {
            if !ch.isLetter {
                if !current.isEmpty { out.append(current.lowercased()); current = "" }
                previousLower = false
                continue
            }
            if ch.isUppercase && previousLower && !current.isEmpty { out.append(current.lowercased()); current = "" }
            current.append(ch)
            previousLower = ch.isLowercase
        }
        if !current.isEmpty { out.append(current.lowercased()) }
        return out
    }
}
