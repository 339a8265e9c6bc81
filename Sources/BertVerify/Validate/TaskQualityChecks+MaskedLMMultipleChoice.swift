import BertFormats
import BertModel
import Foundation

// validate --data for a masked-LM or pre-training head (--max-perplexity) and for a multiple-choice
// head (--min-accuracy), scored by the code `bertkit evaluate --task` runs with its defaults: masks
// from seed 0 at the 15% rate, at most Options.seq tokens a row.
extension TaskQualityChecks {
    static func maskedLM(_ model: BertModel, data: String, _ o: Validator.Options) throws -> Scoring {
        for (option, given) in [("--min-accuracy", o.minAccuracy != nil), ("--min-f1", o.minF1 != nil), ("--max-mse", o.maxMSE != nil)] where given {
            throw TaskQualityError.bound(option: option, head: model.head)
        }
        let docs = try MaskedLMDocuments(TextLinesDataset(contentsOf: data), model: model, masking: MaskingOptions(), maxLength: o.seq)
        return {
            let r = try MaskedLMEvaluation.run(model: model, documents: docs, seed: 0)
            let bounds = o.maxPerplexity.map { [ProblemQualityChecks.Bound("perplexity", r.perplexity, $0, atMost: true)] } ?? []
            let summary = "masked accuracy \(String(format: "%.4f", r.accuracy)), \(r.maskedTokens) masked tokens in \(r.documents) documents of \(data), seed 0"
            return (verdict(model.head, bounds, summary: "perplexity \(String(format: "%.4f", r.perplexity)), " + summary, unbounded: "--max-perplexity",
                            figures: ["perplexity": r.perplexity, "masked_accuracy": r.accuracy, "loss": r.loss]), [])
        }
    }

    static func multipleChoice(_ model: BertModel, data: String, _ o: Validator.Options) throws -> Scoring {
        for (option, given) in [("--max-perplexity", o.maxPerplexity != nil), ("--min-f1", o.minF1 != nil), ("--max-mse", o.maxMSE != nil)] where given {
            throw TaskQualityError.bound(option: option, head: model.head)
        }
        let rows = try MultipleChoiceRows(MultipleChoiceDataset(contentsOf: data), model: model, maxLength: o.seq)
        return {
            let r = try MultipleChoiceEvaluation.run(model: model, data: rows)
            let bounds = o.minAccuracy.map { [ProblemQualityChecks.Bound("accuracy", r.accuracy, $0, atMost: false)] } ?? []
            let summary = "accuracy \(String(format: "%.4f", r.accuracy)), loss \(String(format: "%.4f", r.loss)) on \(r.examples) examples of \(data)"
            return (verdict(model.head, bounds, summary: summary, unbounded: "--min-accuracy",
                            figures: ["accuracy": r.accuracy, "loss": r.loss]), [])
        }
    }
}
