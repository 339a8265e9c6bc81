import BertFormats
import BertModel
import Foundation

/// validate's Quality check for a BertForQuestionAnswering: `evaluate --task question-answering` with
/// run_qa's defaults (windows 384/128, or a third of max_position_embeddings as stride when below 384, n-best 20, max answer 30, null threshold 0) on --data, against
/// --min-exact-match and --min-f1 (fractions 0–1 of the SQuAD scripts' ×100 figures).
enum QuestionAnsweringQuality {
    static func prepare(_ model: BertModel, data: String, _ o: Validator.Options) throws -> TaskQualityChecks.Scoring {
        if o.minAccuracy != nil { throw TaskQualityError.bound(option: "--min-accuracy", head: model.head) }
        if o.maxMSE != nil { throw TaskQualityError.bound(option: "--max-mse", head: model.head) }
        let d = try SQuADDataset(contentsOf: data)
        // run_qa's 384/128, kept at that ratio for a model with fewer positions.
        let length = min(384, model.config.maxSequenceLength)
        let features = QuestionAnsweringFeatureOptions(maxSeqLength: length, docStride: length / 3)
        return {
            let r = try QuestionAnsweringEvaluation.run(model: model, dataset: d, features: features)
            let s = r.scores
            let em = s.exactMatch / 100, f1 = s.f1 / 100
            var figures = ["exact_match": em, "f1": f1]
            var summary = "exact match \(String(format: "%.4f", em)), F1 \(String(format: "%.4f", f1)) on \(s.all.total) questions of \(data)"
            if let h = s.hasAnswer, let n = s.noAnswer {
                figures["HasAns_f1"] = h.f1 / 100
                figures["NoAns_exact"] = n.exact / 100
                summary += String(format: "; HasAns F1 %.4f, NoAns exact %.4f", h.f1 / 100, n.exact / 100)
            }
            let bounds = [o.minExactMatch.map { ProblemQualityChecks.Bound("exact match", em, $0, atMost: false) },
                          o.minF1.map { ProblemQualityChecks.Bound("F1", f1, $0, atMost: false) }].compactMap { $0 }
            let check = TaskQualityChecks.verdict(model.head, bounds, summary: summary, unbounded: "--min-exact-match or --min-f1",
                                                  figures: figures)
            let wrong = zip(d.examples, r.predictions).filter { SQuADMetrics.score($1.text, gold: $0.answers.map(\.text), v2: s.noAnswer != nil).exact == 0 }
            let header = wrong.isEmpty ? [] : ["wrong answers (\(wrong.count), the first \(min(5, wrong.count)) shown):"]
            return (check, header + wrong.prefix(5).map { e, p in "  \(e.id): \"\(p.text)\" (gold: \(e.answers.map { "\"\($0.text)\"" }.joined(separator: ", ")))" })
        }
    }
}
