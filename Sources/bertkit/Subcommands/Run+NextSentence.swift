import ArgumentParser
import BertModel
import Foundation

extension Run {
    /// next-sentence: for each TEXT (A) and its --pair (B), the probability that B follows A.
    func nextSentence(_ model: BertModel) throws {
        let texts = inputs.textInputs
        let out = try NextSentence(model: model)(texts, truncate: !inputs.noTruncate)
        inputs.warnTruncated(out.truncated, limit: out.limit)
        if json { return try Console.outJSON(out.scores) }
        let lines = zip(texts, out.scores).enumerated().map { b, e in
            "text \(b + 1): \(quoted([e.0.text, e.0.pair ?? ""]))\n  is_next \(probability(e.1.isNext))  not_next \(probability(e.1.notNext))"
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
