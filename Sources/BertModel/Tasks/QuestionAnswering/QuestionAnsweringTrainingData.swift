import BertFormats
import BertTokenizer

/// A SQuAD set as run_qa trains on it: every example's windows (QuestionAnsweringFeatures), one
/// training row each, with start and end positions as `TrainingTargets.spans`.
public struct QuestionAnsweringTrainingData: Sendable {
    public let features: [QuestionAnsweringFeature]
    public let examples: Int

    public init(dataset: SQuADDataset, tokenizer: BertTokenizer, options: QuestionAnsweringFeatureOptions = .init()) throws {
        features = try QuestionAnsweringFeatures.make(dataset.examples, tokenizer: tokenizer, options: options)
        examples = dataset.examples.count
    }

    /// Rows `rows` as one right-padded batch and its targets.
    public func batch(_ rows: [Int], config: BertConfig) throws -> (BertInput, TrainingTargets) {
        let f = rows.map { features[$0] }
        let input = try BertInput(rows: f.map(\.window.inputIds), tokenTypes: f.map(\.window.tokenTypeIds), config: config)
        return (input, .spans(start: f.map(\.startPosition), end: f.map(\.endPosition)))
    }

    /// The share of rows whose start and end argmax (over each row's own positions) are both the
    /// target: a training-time span accuracy, computed from the step's [B·S, 2] logits.
    public static func spanAccuracy(logits: [Float], rows: [QuestionAnsweringFeature], seq: Int) -> (correct: Int, total: Int) {
        var correct = 0
        for (b, f) in rows.enumerated() {
            let n = f.window.inputIds.count
            func argmax(_ channel: Int) -> Int {
                (0..<n).max { logits[(b * seq + $0) * 2 + channel] < logits[(b * seq + $1) * 2 + channel] }!
            }
            if argmax(0) == f.startPosition, argmax(1) == f.endPosition { correct += 1 }
        }
        return (correct, rows.count)
    }
}
