import BertFormats
import BertTokenizer

/// Runs a sequence classifier over labelled texts in batches and scores its predictions — the
/// lesson's test loop (dynamic padding, argmax of the logits), shared by `evaluate`, `finetune
/// --eval` and `validate --data`.
public struct ClassifierEvaluation: Sendable {
    public var metrics: ClassificationMetrics
    /// The predicted label of each example, in order.
    public var predictions: [Int]
    /// Mean cross-entropy of the true labels.
    public var loss: Double

    /// `progress(done, total)` is called after each batch.
    public static func run(model: BertModel, dataset: LabelledDataset, batchSize: Int = 32, maxLength: Int = 128,
                           progress: ((Int, Int) -> Void)? = nil) throws -> ClassifierEvaluation {
        guard model.head == .sequenceClassification else { throw ModelError.noClassifier }
        let tokenizer = try model.makeTokenizer()
        let labels = model.config.numLabels
        var predictions: [Int] = []
        predictions.reserveCapacity(dataset.examples.count)
        var lossSum = 0.0
        var start = 0
        while start < dataset.examples.count {
            let batch = Array(dataset.examples[start..<min(start + batchSize, dataset.examples.count)])
            let encoded = try BertInput.encode(batch.map { TextInput($0.text) }, tokenizer: tokenizer, config: model.config,
                                               limit: maxLength)
            guard let logits = try model.run(encoded.input).logits else { throw ModelError.noClassifier }
            for (r, example) in batch.enumerated() {
                let row = logits[r * labels..<(r + 1) * labels]
                let best = row.indices.max { row[$0] < row[$1] }! - r * labels
                predictions.append(best)
                // log-softmax of the true label, stabilised by the row maximum
                let m = Double(row.max()!)
                let lse = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
                lossSum += lse - Double(row[r * labels + example.label])
            }
            start += batch.count
            progress?(start, dataset.examples.count)
        }
        let names = model.config.id2label
        return ClassifierEvaluation(
            metrics: ClassificationMetrics(labels: names, truth: dataset.examples.map(\.label), predicted: predictions),
            predictions: predictions, loss: lossSum / Double(max(1, predictions.count)))
    }
}

import Foundation
