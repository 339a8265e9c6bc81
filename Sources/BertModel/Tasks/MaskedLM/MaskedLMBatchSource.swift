import BertFormats
import Foundation

/// Masked-LM training as a batch source: each document one row, masked afresh at every step
/// (run_mlm's dynamic masking) with the stream (seed, step, row in the batch), so a resumed run
/// masks exactly what an uninterrupted one would.
public struct MaskedLMBatchSource: TrainingBatchSource {
    public let documents: MaskedLMDocuments
    public let seed: UInt64
    let config: BertConfig

    public init(_ documents: MaskedLMDocuments, seed: UInt64, config: BertConfig) {
        self.documents = documents
        self.seed = seed
        self.config = config
    }

    public var count: Int { documents.rows.count }

    public func batch(rows: [Int], step: Int) throws -> TrainingBatch {
        let (input, targets) = try documents.trainingBatch(rows, seed: seed, step: step, config: config)
        // transformers would go on with a NaN loss; bertkit stops before the update, saying why.
        if case .maskedTokens(let y) = targets, !y.contains(where: { $0 != ignoredLabel }) {
            throw MaskingError.nothingMasked(step: step, documents: rows.count)
        }
        return TrainingBatch(input: input, targets: targets, rows: rows)
    }

    public func makeMetric() -> any TrainingTaskMetric { MaskedAccuracy(vocabulary: config.vocabSize) }

    /// argmax == label over the masked positions of the steps since the last report.
    struct MaskedAccuracy: TrainingTaskMetric {
        let vocabulary: Int
        var right = 0, total = 0
        var name: String { "Masked accuracy" }
        var value: Double { total == 0 ? 0 : Double(right) / Double(total) }

        mutating func add(_ result: Trainer.StepResult, batch: TrainingBatch) {
            guard case .maskedTokens(let labels) = batch.targets else { return }
            // result.logits is [N, V] at the labelled positions, in order.
            let v = vocabulary
            for (k, y) in labels.filter({ $0 != ignoredLabel }).enumerated() {
                let row = result.logits[k * v..<(k + 1) * v]
                if row.firstIndex(of: row.max()!)! - k * v == y { right += 1 }
                total += 1
            }
        }

        mutating func reset() { (right, total) = (0, 0) }
    }
}
