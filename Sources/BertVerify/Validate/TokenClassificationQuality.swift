import BertFormats
import BertModel
import Foundation

/// validate --data for a BertForTokenClassification: seqeval's micro entity F1 (default mode, or
/// strict IOB2 with `entityStrict`) ≥ --min-f1, scored as `bertkit evaluate --task
/// token-classification` scores it; per-type figures in the details.
enum TokenClassificationQuality {
    static func prepare(_ model: BertModel, data: String, _ o: Validator.Options) throws -> TaskQualityChecks.Scoring {
        for (option, given) in [("--min-accuracy", o.minAccuracy != nil), ("--max-mse", o.maxMSE != nil)] where given {
            throw TaskQualityError.bound(option: option, head: model.head)
        }
        let d = try TaggedSentences(contentsOf: data, labels: model.config.id2label, strict: o.entityStrict)
        return {
            let r = try TokenClassificationEvaluation.run(model: model, sentences: d.sentences, strict: o.entityStrict)
            let s = r.scores
            let figures = ["f1": s.micro.f1, "precision": s.micro.precision, "recall": s.micro.recall,
                           "token_accuracy": s.tokenAccuracy, "sentences": Double(s.sentences)]
            let summary = String(format: "entity F1 %.4f, precision %.4f, recall %.4f, token accuracy %.4f on %d sentences (seqeval %@)",
                                 s.micro.f1, s.micro.precision, s.micro.recall, s.tokenAccuracy, s.sentences, s.mode)
            var lines = ["per entity type on \(s.sentences) sentences of \(data) (seqeval \(s.mode) mode):",
                         "type                 precision  recall     f1  support"]
            for t in s.perType {
                lines.append(t.type.padding(toLength: 20, withPad: " ", startingAt: 0)
                             + String(format: " %9.4f %7.4f %6.4f %8d", t.precision, t.recall, t.f1, t.support))
            }
            let bounds = [o.minF1.map { ProblemQualityChecks.Bound("entity F1", s.micro.f1, $0, atMost: false) }].compactMap { $0 }
            return (TaskQualityChecks.verdict(model.head, bounds, summary: summary, unbounded: "--min-f1", figures: figures), lines)
        }
    }
}
