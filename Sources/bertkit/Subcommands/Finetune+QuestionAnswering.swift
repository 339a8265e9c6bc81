import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// run_qa's window and postprocessing options, shared by `finetune` and `evaluate --task question-answering`.
struct QuestionAnsweringFlags: ParsableArguments {
    @Option(help: "Question answering: tokens per window, specials included (run_qa's max_seq_length).") var maxSeqLen = 384
    @Option(help: "Question answering: context tokens consecutive windows share.") var docStride = 128
    @Option(help: "Question answering: start and end logits per window considered (n_best_size).") var nBestSize = 20
    @Option(help: "Question answering: the longest answer, in tokens.") var maxAnswerLength = 30
    @Option(help: "Question answering, SQuAD v2: answer \"\" when the null score beats the best answer by more than this.")
    var nullScoreDiffThreshold: Float = 0
    @Flag(name: .customLong("version-2-with-negative"), help: "Question answering: score as SQuAD v2 (null answers) even when every question has an answer.")
    var version2WithNegative = false

    func validate() throws {
        guard maxSeqLen >= 4 else { throw ValidationError("--max-seq-len must be at least 4") }
        guard docStride >= 0, docStride < maxSeqLen else { throw ValidationError("--doc-stride must be in 0..<--max-seq-len") }
        guard nBestSize >= 1, maxAnswerLength >= 1 else { throw ValidationError("--n-best-size and --max-answer-length must be at least 1") }
        guard nullScoreDiffThreshold.isFinite else { throw ValidationError("--null-score-diff-threshold must be a finite number") }
    }

    /// --max-seq-len capped at max_position_embeddings, as run_qa caps max_seq_length at the model's length (with a warning).
    func features(_ config: BertConfig) -> QuestionAnsweringFeatureOptions {
        let cap = config.maxSequenceLength
        if maxSeqLen > cap { Console.log("warning: --max-seq-len \(maxSeqLen) is more than the model's \(cap) positions; using \(cap)") }
        return QuestionAnsweringFeatureOptions(maxSeqLength: min(maxSeqLen, cap), docStride: docStride)
    }

    func postprocessing(_ d: SQuADDataset) -> QuestionAnsweringPostprocessing {
        QuestionAnsweringPostprocessing(nBest: nBestSize, maxAnswerLength: maxAnswerLength, versionTwo: version2WithNegative || d.hasImpossible,
                                        nullScoreDiffThreshold: nullScoreDiffThreshold)
    }

    /// A SQuAD file, its skipped questions logged.
    static func read(_ path: String, skipBadRows: Bool) throws -> SQuADDataset {
        let d = try SQuADDataset(contentsOf: path, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(path) \(s)") }
        if !d.skipped.isEmpty { Console.log("skipped \(d.skipped.count) bad question\(d.skipped.count == 1 ? "" : "s") in \(path)") }
        return d
    }

    /// "exact match = 62.50, F1 = 75.02" (+ HasAns/NoAns for v2), as the SQuAD scripts scale them.
    static func summary(_ s: SQuADScores) -> String {
        let f = { (x: Double) in String(format: "%.2f", x) }
        var out = "exact match = \(f(s.exactMatch)), F1 = \(f(s.f1))"
        if let h = s.hasAnswer { out += ", HasAns exact = \(f(h.exact)), HasAns F1 = \(f(h.f1))" }
        if let n = s.noAnswer { out += ", NoAns exact = \(f(n.exact))" }
        return out
    }
}

/// `finetune --task question-answering`: SQuAD v1.1/v2.0 JSON or HF JSONL, windowed as run_qa does.
extension Finetune {
    func runQuestionAnswering(_ source: Checkpoint) throws {
        let (checkpoint, created) = try source.forHead(.questionAnswering, labels: [], resetHead: resetHead, seed: seed)
        let data = try QuestionAnsweringFlags.read(train, skipBadRows: skipBadRows)
        let evalData = try eval.map { try QuestionAnsweringFlags.read($0, skipBadRows: skipBadRows) }
        let flags = qa, features = qa.features(checkpoint.config)
        try train(Plan(checkpoint: checkpoint, created: created, problem: nil,
                       source: { try QuestionAnsweringBatchSource(dataset: data, model: $0, options: features) },
                       evaluate: evalData.map { e in { m, step in
                           let r = try QuestionAnsweringEvaluation.run(model: m, dataset: e, features: features,
                                                                       postprocessing: flags.postprocessing(e))
                           return EvalPoint(step: step, name: "F1", value: r.scores.f1 / 100,
                                            summary: "\(QuestionAnsweringFlags.summary(r.scores)) on \(e.examples.count) questions of \(eval!)")
                       } }))
    }
}
