/// One categorical feature of the model that scored a run, with its levels in code order: what the
/// run's `categories` column codes index (`PredictionBlock.categoryCode`: the level's index, then
/// one code for a blank cell and one for a value the model never saw).
public struct CategoryLevels: Sendable, Equatable {
    /// The input column.
    public var feature: String
    /// The levels the model knows, in the model's order.
    public var levels: [String]

    public init(feature: String, levels: [String]) {
        self.feature = feature
        self.levels = levels
    }

    /// What the customer table shows for a blank cell, and what a filter names it by.
    public static let blankLabel = "(blank)"
    /// What the customer table shows for a value the model never saw, and what a filter names it by.
    public static let unseenLabel = "(other)"

    /// The text of a code (a level, or one of the two labels).
    public func label(_ code: Int) -> String {
        code < levels.count ? levels[code] : code == levels.count ? Self.blankLabel : Self.unseenLabel
    }

    /// Every choice a filter offers, in code order.
    public var choices: [String] { levels + [Self.blankLabel, Self.unseenLabel] }

    /// The code of a filter's value: a level's text, or a label; nil for anything else.
    public func code(of value: String) -> Int? {
        if let i = levels.firstIndex(of: value) { return i }
        if value == Self.blankLabel { return levels.count }
        if value == Self.unseenLabel { return levels.count + 1 }
        return nil
    }
}
