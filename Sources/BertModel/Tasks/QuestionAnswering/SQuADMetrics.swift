import BertFormats
import Foundation

// Exact match and F1 as the official SQuAD scripts compute them (evaluate-v1.1.py; for v2,
// evaluate-v2.0.py as transformers' data/metrics/squad_metrics.py carries it):
// - normalize_answer: lower(), drop every character of string.punctuation (ASCII), replace the words
//   a|an|the (regex \b(a|an|the)\b) by a space, then " ".join(text.split());
// - exact: the normalized texts are equal; F1: over the normalized texts' whitespace tokens, the
//   multiset overlap, 2PR / (P + R), 0 when nothing overlaps;
// - each is the best over the gold answers, averaged over the questions, ×100.
// v2 differs in two places: gold answers that normalize to nothing are dropped, and a question with no
// gold answer left has the one gold answer ""; and an empty gold or prediction scores F1 1 when both are
// empty, else 0. v1.1's F1 of two empty texts is 0 (no overlap).
// v2 reports HasAns_ (questions with answers) and NoAns_ splits, and, from each question's null-score
// difference, the best threshold (find_best_thresh): the questions are taken by increasing difference,
// each one switching from the empty answer to its best non-empty one, and the best running total wins.

public enum SQuADMetrics {
    /// normalize_answer.
    public static func normalize(_ s: String) -> String {
        let lower = QuestionAnswering.pythonLowercased(s.unicodeScalars)
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        let kept = lower.filter { !punctuation.contains($0) }
        // \b(a|an|the)\b matches exactly the maximal runs of word characters that are one of the three.
        var out: [Unicode.Scalar] = [], i = 0
        while i < kept.count {
            guard isWord(kept[i]) else { out.append(kept[i]); i += 1; continue }
            var j = i
            while j < kept.count, isWord(kept[j]) { j += 1 }
            let run = String(String.UnicodeScalarView(kept[i..<j]))
            if run == "a" || run == "an" || run == "the" { out.append(" ") } else { out += kept[i..<j] }
            i = j
        }
        return split(out).joined(separator: " ")
    }

    /// `normalize_answer(s).split()`.
    public static func tokens(_ s: String) -> [String] { normalize(s).split(separator: " ").map(String.init) }

    public static func exactMatch(_ prediction: String, _ gold: String) -> Bool { normalize(prediction) == normalize(gold) }

    /// `v2`: evaluate-v2.0's rule for empty texts (see above).
    public static func f1(_ prediction: String, _ gold: String, v2: Bool = false) -> Double {
        let p = tokens(prediction), g = tokens(gold)
        if v2, p.isEmpty || g.isEmpty { return p == g ? 1 : 0 }
        var counts: [String: Int] = [:]
        for t in g { counts[t, default: 0] += 1 }
        var same = 0
        for t in p where counts[t, default: 0] > 0 {
            counts[t]! -= 1
            same += 1
        }
        guard same > 0 else { return 0 }
        let precision = Double(same) / Double(p.count), recall = Double(same) / Double(g.count)
        return 2 * precision * recall / (precision + recall)
    }

    /// One question's (exact, f1), each in 0...1, best over its gold answers.
    public static func score(_ prediction: String, gold: [String], v2: Bool) -> (exact: Double, f1: Double) {
        var golds = gold
        if v2 {
            golds = gold.filter { !normalize($0).isEmpty }
            if golds.isEmpty { golds = [""] }
        }
        // v1.1 has gold answers for every question; with none, nothing matches.
        guard !golds.isEmpty else { return (0, 0) }
        return (golds.map { exactMatch(prediction, $0) ? 1.0 : 0.0 }.max()!, golds.map { f1(prediction, $0, v2: v2) }.max()!)
    }

    /// Python's `\w` for str patterns: alphanumeric characters (letters Lu Ll Lt Lm Lo, numbers Nd Nl No) and "_".
    static func isWord(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber: true
        default: c == "_"
        }
    }

    /// Python's `str.split()`: runs of whitespace (isspace: White_Space and U+001C...U+001F) separate words.
    static func split(_ s: [Unicode.Scalar]) -> [String] {
        var words: [String] = [], cur = String.UnicodeScalarView()
        for c in s {
            if c.properties.isWhitespace || (0x1C...0x1F).contains(c.value) {
                if !cur.isEmpty { words.append(String(cur)); cur = String.UnicodeScalarView() }
            } else {
                cur.append(c)
            }
        }
        if !cur.isEmpty { words.append(String(cur)) }
        return words
    }
}

/// EM and F1 over a set of questions, ×100, as the SQuAD scripts report them.
public struct SQuADScores: Sendable, Equatable {
    public struct Split: Sendable, Equatable {
        public var exact: Double
        public var f1: Double
        public var total: Int
    }

    public var all: Split
    /// v2 only, each when the set has such questions.
    public var hasAnswer: Split?
    public var noAnswer: Split?
    /// v2 with null-score differences: the best EM / F1 over thresholds, and the threshold that gives it.
    public var bestExact: Double?
    public var bestExactThreshold: Double?
    public var bestF1: Double?
    public var bestF1Threshold: Double?

    public var exactMatch: Double { all.exact }
    public var f1: Double { all.f1 }

    /// `predictions[i]` answers `examples[i]`. v2 (`v2`): `bestNonNull[i]` is the best non-empty answer
    /// and `nullScoreDiff[i]` the null score minus its score, for the best thresholds (both or neither).
    public init(examples: [SQuADExample], predictions: [String], v2: Bool, bestNonNull: [String]? = nil,
                nullScoreDiff: [Float]? = nil) {
        precondition(examples.count == predictions.count && !examples.isEmpty)
        let gold = examples.map { $0.answers.map(\.text) }
        let raw = zip(predictions, gold).map { SQuADMetrics.score($0, gold: $1, v2: v2) }
        func split(_ rows: [Int]) -> Split {
            Split(exact: 100 * rows.map { raw[$0].exact }.reduce(0, +) / Double(rows.count),
                  f1: 100 * rows.map { raw[$0].f1 }.reduce(0, +) / Double(rows.count), total: rows.count)
        }
        all = split(Array(examples.indices))
        guard v2 else { return }
        let has = examples.indices.filter { !examples[$0].isImpossible }, none = examples.indices.filter { examples[$0].isImpossible }
        if !has.isEmpty { hasAnswer = split(has) }
        if !none.isEmpty { noAnswer = split(none) }
        if let bestNonNull, let nullScoreDiff {
            let candidate = zip(bestNonNull, gold).map { SQuADMetrics.score($0, gold: $1, v2: true) }
            (bestExact, bestExactThreshold) = Self.bestThreshold(candidate.map(\.exact), answers: bestNonNull, examples, nullScoreDiff)
            (bestF1, bestF1Threshold) = Self.bestThreshold(candidate.map(\.f1), answers: bestNonNull, examples, nullScoreDiff)
        }
    }

    /// find_best_thresh: start from every answer empty, switch them on by increasing difference (ties
    /// in order), keep the best strictly-improving total.
    static func bestThreshold(_ scores: [Double], answers: [String], _ examples: [SQuADExample], _ diff: [Float])
        -> (Double, Double)
    {
        var current = Double(examples.filter(\.isImpossible).count), best = current, threshold = 0.0
        for i in examples.indices.sorted(by: { diff[$0] != diff[$1] ? diff[$0] < diff[$1] : $0 < $1 }) {
            current += examples[i].isImpossible ? (answers[i].isEmpty ? 0 : -1) : scores[i]
            if current > best {
                best = current
                threshold = Double(diff[i])
            }
        }
        return (100 * best / Double(examples.count), threshold)
    }
}
