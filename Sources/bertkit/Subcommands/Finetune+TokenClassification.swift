import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `finetune --task token-classification`: CoNLL/IOB2 text or HF JSONL (formats/ner.md), labelled
/// as run_ner.py does.
extension Finetune {
    func runTokenClassification(_ source: Checkpoint) throws {
        // The tag names: --labels, else a token classifier's own, else those of the training file, sorted.
        let given = labelList ?? (source.architecture.head == .tokenClassification ? source.config.id2label : nil)
        let data = try TaggedSentences(contentsOf: train, labels: given, strict: strict, skipBadRows: skipBadRows)
        for s in data.skipped { Console.log("skipped \(train) \(s)") }
        guard !data.sentences.isEmpty else { throw FineTuningError.noExamples(path: train) }
        let (checkpoint, created) = try source.forHead(.tokenClassification, labels: data.labels, resetHead: resetHead, seed: seed)
        var evalData: TaggedSentences?
        if let e = eval {
            evalData = try TaggedSentences(contentsOf: e, labels: data.labels, strict: strict, skipBadRows: skipBadRows)
            for s in evalData!.skipped { Console.log("skipped \(e) \(s)") }
        }
        try train(Plan(checkpoint: checkpoint, created: created, problem: nil,
                       source: { try TokenClassificationBatchSource(sentences: data.sentences, labels: data.labels, model: $0,
                                                                    maxLength: maxLength, labelAllTokens: labelAllTokens) },
                       evaluate: evalData.map { e in { m, step in try entityEvalPoint(m, e, step: step) } }))
    }

    func entityEvalPoint(_ m: BertModel, _ e: TaggedSentences, step: Int) throws -> EvalPoint {
        let r = try TokenClassificationEvaluation.run(model: m, sentences: e.sentences, maxLength: maxLength, strict: strict)
        let s = r.scores, f = { (x: Double) in String(format: "%.4f", x) }
        return EvalPoint(step: step, name: "F1", value: s.micro.f1,
                         summary: "F1 = \(f(s.micro.f1)), precision = \(f(s.micro.precision)), recall = \(f(s.micro.recall)), "
                             + "token accuracy = \(f(s.tokenAccuracy)) on \(s.sentences) sentences of \(eval!)")
    }
}
