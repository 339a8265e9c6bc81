import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `finetune --task masked-lm`: domain-adaptive masked-LM training on plain text, one document a
/// line (formats/text-lines.md), masked as DataCollatorForLanguageModeling (or, with
/// --whole-word-mask, DataCollatorForWholeWordMask) from --seed and the step.
extension Finetune {
    func runMaskedLM(_ source: Checkpoint) throws {
        let (checkpoint, created) = try source.forHead(.maskedLM, labels: [], resetHead: resetHead, seed: seed)
        let masking = MaskingOptions(probability: mlmProbability, wholeWord: wholeWordMask)
        let data = try textLines(train)
        let heldOut = try eval.map(textLines)
        try train(Plan(checkpoint: checkpoint, created: created, problem: nil,
                       source: { m in
                           MaskedLMBatchSource(try documents(data, m, masking, file: train), seed: seed, config: m.config)
                       },
                       evaluate: heldOut.map { h in { m, step in
                           let r = try MaskedLMEvaluation.run(model: m, documents: documents(h, m, masking, file: eval!), seed: seed)
                           return EvalPoint(step: step, name: "perplexity", value: r.perplexity, summary: MaskedLMMetricsText.summary(r, file: eval!))
                       } }))
    }

    func textLines(_ path: String) throws -> TextLinesDataset {
        let d = try TextLinesDataset(contentsOf: path, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(path) \(s)") }
        return d
    }

    func documents(_ d: TextLinesDataset, _ m: BertModel, _ masking: MaskingOptions, file: String) throws -> MaskedLMDocuments {
        let docs = try MaskedLMDocuments(d, model: m, masking: masking, maxLength: maxLength)
        if docs.truncated > 0 { Console.log("\(file): \(docs.truncated) documents cut to \(docs.limit) tokens (--max-length)") }
        return docs
    }
}

/// The one-line summary of masked-LM scores, shared by finetune --eval and evaluate.
enum MaskedLMMetricsText {
    static func summary(_ r: MaskedLMMetrics, file: String) -> String {
        "perplexity = \(String(format: "%.4f", r.perplexity)), masked accuracy = \(String(format: "%.4f", r.accuracy)), "
            + "loss = \(String(format: "%.4f", r.loss)) on \(r.maskedTokens) masked tokens of \(r.documents) documents of \(file)"
    }
}
