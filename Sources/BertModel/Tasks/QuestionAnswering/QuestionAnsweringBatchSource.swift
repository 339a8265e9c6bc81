import BertFormats
import BertTokenizer

/// A SQuAD set as run_qa trains on it: every example's windows (QuestionAnsweringFeatures) are the
/// rows of an epoch, each with its start and end positions as `TrainingTargets.spans`.
public struct QuestionAnsweringBatchSource: TrainingBatchSource, Sendable {
    public let features: [QuestionAnsweringFeature]
    let config: BertConfig

    public init(dataset: SQuADDataset, model: BertModel, options: QuestionAnsweringFeatureOptions = .init()) throws {
        features = try QuestionAnsweringFeatures.make(dataset.examples, tokenizer: model.makeTokenizer(), options: options)
        config = model.config
    }

    public var count: Int { features.count }

    /// Rows `rows`, right-padded to the longest, and their targets.
    public func batch(rows: [Int], step: Int) throws -> TrainingBatch {
        let f = rows.map { features[$0] }
        let input = try BertInput(rows: f.map(\.window.inputIds), tokenTypes: f.map(\.window.tokenTypeIds), config: config)
        return TrainingBatch(input: input, targets: .spans(start: f.map(\.startPosition), end: f.map(\.endPosition)), rows: rows)
    }

    public func makeMetric() -> any TrainingTaskMetric { SpanAccuracy(features: features) }

    /// The share of windows whose start and end argmax (over the window's own positions) are both
    /// the target, from each step's [B·S, 2] logits: a training-time stand-in for exact match.
    public struct SpanAccuracy: TrainingTaskMetric {
        let features: [QuestionAnsweringFeature]
        var correct = 0, total = 0
        public var name: String { "Span accuracy" }
        public var value: Double { total == 0 ? 0 : Double(correct) / Double(total) }

        public mutating func add(_ result: Trainer.StepResult, batch: TrainingBatch) {
            let seq = batch.input.seq, logits = result.logits
            for (b, row) in batch.rows.enumerated() {
                let f = features[row], n = f.window.inputIds.count
                func argmax(_ channel: Int) -> Int {
                    (0..<n).max { logits[(b * seq + $0) * 2 + channel] < logits[(b * seq + $1) * 2 + channel] }!
                }
                if argmax(0) == f.startPosition, argmax(1) == f.endPosition { correct += 1 }
                total += 1
            }
        }

        public mutating func reset() { (correct, total) = (0, 0) }
    }
}
