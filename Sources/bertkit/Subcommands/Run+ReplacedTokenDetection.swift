import ArgumentParser
import BertFormats
import BertModel

extension Run {
    /// replaced-token-detection (ElectraForPreTraining): each token's probability of having been replaced.
    func detectReplacedTokens(_ model: BertModel, _ encoded: EncodedTexts) throws {
        guard inputs.pair.isEmpty else {
            throw ValidationError("--pair: replaced-token-detection takes one text per input, not pairs")
        }
        let detector = try ReplacedTokenDetector(model: model)
        // load() has already warned about (or refused) texts longer than the limit.
        let (tokens, _) = try detector(inputs.texts, limit: encoded.limit, truncate: !inputs.noTruncate)
        if json {
            Console.out(JSONValue.array(tokens.map { .array($0.map(\.json)) }).serialized(indent: 2))
            return
        }
        var lines: [String] = []
        for (b, list) in tokens.enumerated() {
            lines.append("text \(b + 1): \(quoted([inputs.texts[b]]))")
            for t in list {
                lines.append("  \(t.replaced ? "replaced" : "original")  \(fmt(t.score))  \(JSONValue.quote(t.token))  [\(t.start), \(t.end))  token \(t.index)")
            }
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
