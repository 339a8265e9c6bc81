import Foundation

/// Two tensors a golden records for the same tap (`bert.embeddings` and `hidden_states.0`), compared
/// with each other by the rule and over the positions a tap is compared with. One reference run
/// gives them bit-identical values, so a disagreement means the golden itself is broken, whatever
/// bertkit computes.
public struct AliasComparison: Sendable, Codable {
    /// Module path of the tap both names resolve to.
    public let tap: String
    /// The two names as the file spells them, in the golden's order; the second is compared
    /// against the first.
    public let names: [String]
    public let compared: Int
    public let maxAbsDifference: Double
    /// Index of the largest difference, with both values there.
    public let worstIndex: [Int]
    public let worstValues: [Float]
    /// Elements over the tolerance.
    public let failing: Int
    public let agree: Bool
}

extension GoldenFile {
    /// Every pair of tensors that name one tap, each compared with the other.
    public func aliasComparisons(tolerance: Tolerance) -> [AliasComparison] {
        var out: [AliasComparison] = []
        for g in groups where g.count > 1 {
            let shape = g[0].tensor.shape
            let include = Verifier.realPositions(of: g[0].tap, head: head, shape: shape, mask: attentionMask, seq: seq)
            let values = g.map { $0.tensor.floats() }
            for i in g.indices {
                for j in g.indices where j > i {
                    let c = values[j].withUnsafeBufferPointer {
                        TapComparison(tap: g[0].tap.description, goldenName: g[j].name, shape: shape, actual: $0,
                                      expected: values[i], tolerance: tolerance, include: include)
                    }
                    out.append(AliasComparison(tap: c.tap, names: [g[i].name, g[j].name], compared: c.compared,
                                               maxAbsDifference: c.maxAbsError, worstIndex: c.worstIndex,
                                               worstValues: [c.worstExpected, c.worstActual], failing: c.failing,
                                               agree: c.passed))
                }
            }
        }
        return out
    }
}

extension Array where Element == AliasComparison {
    /// One line per disagreeing pair, naming both tensors; `who` names the file ("golden", "B").
    public func disagreementLines(_ who: String) -> [String] {
        filter { !$0.agree }.map { a in
            "\(who) disagrees with itself: \(a.names[0]) and \(a.names[1]) both record \(a.tap); max abs difference "
                + "\(Self.e(a.maxAbsDifference)) at \(a.worstIndex) (\(a.worstValues[0]) vs \(a.worstValues[1])), "
                + "\(a.failing) of \(a.compared) elements over tolerance"
        }
    }

    /// "aliases: 6 taps recorded under more than one name, ...", when every pair agrees (nil when
    /// there are no pairs or some disagree).
    public func agreementLine(prefix: String) -> String? {
        guard !isEmpty, allSatisfy(\.agree) else { return nil }
        let taps = Set(map(\.tap)).count
        return "\(prefix)\(taps) tap\(taps == 1 ? "" : "s") recorded under more than one name, \(count) pair\(count == 1 ? "" : "s"); "
            + "every pair agrees (largest max abs difference \(Self.e(map(\.maxAbsDifference).max()!)))"
    }

    static func e(_ x: Double) -> String { x.isFinite ? String(format: "%.2e", x) : (x.isNaN ? "nan" : "inf") }
}

extension Array where Element == TapComparison {
    /// "18 taps", or "25 tensors (18 taps)" when some tap is compared under several names.
    public var countPhrase: String {
        let taps = Set(map(\.tap)).count
        return taps == count ? "\(count) taps" : "\(count) tensors (\(taps) taps)"
    }
}
