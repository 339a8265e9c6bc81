import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `evaluate --task token-classification`: seqeval's entity scores (default or --strict IOB2) and
/// token accuracy on tagged sentences read with the model's id2label.
extension Evaluate {
    func tokenClassification(_ m: BertModel) throws {
        guard m.head == .tokenClassification else { throw ModelError.wrongHead(expected: .tokenClassification, found: m.head) }
        let d = try TaggedSentences(contentsOf: data, labels: m.config.id2label, strict: strict, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(data) \(s)") }
        let r = try TokenClassificationEvaluation.run(model: m, sentences: d.sentences, maxLength: maxLength, batchSize: batchSize,
                                                     strict: strict)
        if json { return try Console.outJSON(EntityScoresJSON(scores: r.scores, untaggedWords: r.untaggedWords)) }
        Console.out(Self.table(r.scores, untagged: r.untaggedWords))
    }

    static func table(_ s: EntityScores, untagged: Int) -> String {
        let f = { (x: Double) in String(format: "%.4f", x) }
        var lines = ["entity F1 \(f(s.micro.f1)) (precision \(f(s.micro.precision)), recall \(f(s.micro.recall))), "
                     + "token accuracy \(f(s.tokenAccuracy)) on \(s.sentences) sentences (\(s.tokens) words), seqeval \(s.mode) mode",
                     "", "type                 precision  recall     f1  support"]
        func row(_ name: String, _ p: Double, _ r: Double, _ f1: Double, _ n: Int) -> String {
            name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %9.4f %7.4f %6.4f %8d", p, r, f1, n)
        }
        let support = s.perType.map(\.support).reduce(0, +)
        for t in s.perType { lines.append(row(t.type, t.precision, t.recall, t.f1, t.support)) }
        lines.append(row("micro avg", s.micro.precision, s.micro.recall, s.micro.f1, support))
        if let m = s.macro { lines.append(row("macro avg", m.precision, m.recall, m.f1, support)) }
        lines.append(row("weighted avg", s.weighted.precision, s.weighted.recall, s.weighted.f1, support))
        if untagged > 0 { lines += ["", "\(untagged) words had no token in the model's input (truncated, or dropped by the tokenizer) and count as O"] }
        return lines.joined(separator: "\n")
    }
}

/// evaluate --json for token classification.
struct EntityScoresJSON: Encodable {
    let scores: EntityScores
    let untaggedWords: Int
    func encode(to encoder: Encoder) throws {
        try scores.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(untaggedWords, forKey: .untaggedWords)
    }
    enum Key: String, CodingKey { case untaggedWords }
}
