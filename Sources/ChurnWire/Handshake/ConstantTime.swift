/// Whether two byte sequences are equal, taking the same time wherever they differ.
///
/// For comparing authentication proofs: an early exit would tell an attacker how many leading bytes
/// of a guess were right. Only the lengths (which are public) end the comparison early.
@inline(never)
public func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}
