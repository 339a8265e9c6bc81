import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `evaluate --task masked-lm`: masked-token accuracy and perplexity (exp of the mean CE over the
/// masked positions) on documents masked with --seed, so two models scored with the same seed see
/// the same masks.
extension Evaluate {
    func maskedLM(_ m: BertModel) throws {
        let d = try TextLinesDataset(contentsOf: data, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(data) \(s)") }
        let docs = try MaskedLMDocuments(d, model: m, masking: MaskingOptions(probability: mlmProbability, wholeWord: wholeWordMask),
                                         maxLength: maxLength)
        if docs.truncated > 0 { Console.log("\(data): \(docs.truncated) documents cut to \(docs.limit) tokens (--max-length)") }
        let r = try MaskedLMEvaluation.run(model: m, documents: docs, seed: seed, batchSize: batchSize)
        if json { return try Console.outJSON(r) }
        Console.out("perplexity \(String(format: "%.4f", r.perplexity)), masked accuracy \(String(format: "%.4f", r.accuracy)), "
                    + "loss \(String(format: "%.4f", r.loss)) (\(r.maskedTokens) masked tokens in \(r.documents) documents; "
                    + "mlm probability \(r.mlmProbability)\(r.wholeWordMask ? ", whole words" : ""), seed \(r.seed))")
    }
}
