import BertFormats
import Foundation

// run_mlm.py's evaluation: the loss is BertForMaskedLM's cross-entropy over the masked positions
// (all of them at once: a mean over positions, not over batches), perplexity = exp(loss).
// Masked-token accuracy is run_mlm's `compute_metrics` (argmax at the labelled positions).

/// Masked-token accuracy and perplexity of a model on documents masked with a fixed seed.
public struct MaskedLMMetrics: Codable, Equatable, Sendable {
    /// Positions scored (those with a label).
    public var maskedTokens: Int
    public var documents: Int
    /// argmax == the original token, over the masked positions.
    public var accuracy: Double
    /// Mean cross-entropy over the masked positions (nats).
    public var loss: Double
    /// exp(loss).
    public var perplexity: Double
    public var seed: UInt64
    public var mlmProbability: Double
    public var wholeWordMask: Bool

    enum CodingKeys: String, CodingKey {
        case maskedTokens = "masked_tokens", documents, accuracy, loss, perplexity, seed
        case mlmProbability = "mlm_probability", wholeWordMask = "whole_word_mask"
    }
}

public enum MaskedLMEvaluationError: LocalizedError, Equatable {
    case noMaskedTokens(documents: Int)
    public var errorDescription: String? {
        switch self {
        case .noMaskedTokens(let n): "masking chose no token in the \(n) documents, so there is nothing to score"
        }
    }
}

public enum MaskedLMEvaluation {
    /// Scores `model` (a masked-LM or pre-training head) on `documents` masked with `seed`
    /// (MaskedLMDocuments.evaluationBatch). `progress(done, total)` after each batch.
    public static func run(model: BertModel, documents: MaskedLMDocuments, seed: UInt64, batchSize: Int = 32,
                           progress: ((Int, Int) -> Void)? = nil) throws -> MaskedLMMetrics {
        try PipelineTask.fillMask.check(model.architecture)
        let v = model.config.vocabSize
        var lossSum = 0.0, right = 0, count = 0, start = 0
        while start < documents.rows.count {
            let indices = Array(start..<min(start + batchSize, documents.rows.count))
            let (input, targets) = try documents.evaluationBatch(indices, seed: seed, config: model.config)
            guard case .maskedTokens(let labels) = targets else { preconditionFailure("masked-LM batches have masked-token targets") }
            let positions = labels.indices.filter { labels[$0] != ignoredLabel }
            if !positions.isEmpty {
                let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
                try model.forward(input, into: buffers)
                let logits = model.maskedLMLogits(buffers, tokens: positions)
                for (k, p) in positions.enumerated() {
                    let row = logits[k * v..<(k + 1) * v]
                    let m = Double(row.max()!)
                    let lse = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
                    lossSum += lse - Double(row[k * v + labels[p]])
                    // The first maximum, as torch's argmax.
                    if row.firstIndex(of: row.max()!)! - k * v == labels[p] { right += 1 }
                }
                count += positions.count
            }
            start += indices.count
            progress?(start, documents.rows.count)
        }
        guard count > 0 else { throw MaskedLMEvaluationError.noMaskedTokens(documents: documents.rows.count) }
        let loss = lossSum / Double(count)
        return MaskedLMMetrics(maskedTokens: count, documents: documents.rows.count, accuracy: Double(right) / Double(count), loss: loss,
                               perplexity: exp(loss), seed: seed, mlmProbability: documents.masker.options.probability,
                               wholeWordMask: documents.masker.options.wholeWord)
    }
}
