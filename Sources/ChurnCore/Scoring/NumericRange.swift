/// The numbers a row may hold to be scored. A numeric feature's value must be finite (the number
/// parser already refuses `inf` and `nan`) and at most 10^15 in magnitude: a million times more
/// than any revenue, count or duration a customer file holds, and small enough that sums of cents
/// and the impacts of the drivers stay finite and print as plain numbers. A row with a larger value
/// is rejected with its line and column, the same way on every path (in-process, workers, the
/// predict API); a revenue column out of range counts as missing.
public enum NumericRange {
    /// 10^15.
    public static let largestMagnitude = 1e15

    @inline(__always)
    public static func accepts(_ value: Double) -> Bool { value.magnitude <= largestMagnitude }

    /// The number in `bytes` when it parses and is in range, else nil (a revenue column, training).
    @inline(__always)
    public static func number(_ bytes: UnsafeRawBufferPointer) -> Double? {
        NumberParser.parse(bytes).flatMap { accepts($0) ? $0 : nil }
    }

    /// The number in `text` when it parses and is in range, else nil.
    public static func number(_ text: String) -> Double? {
        NumberParser.parse(text).flatMap { accepts($0) ? $0 : nil }
    }

    /// Why a parsed cell is refused: `'1e17' is out of range (…)`.
    public static func refusal(_ text: String) -> String {
        "'\(text)' is out of range (numbers may be at most 1e15 in size)"
    }
}
