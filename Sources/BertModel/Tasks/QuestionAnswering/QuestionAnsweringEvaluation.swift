import BertFormats
import Foundation

/// A question-answering model scored on a SQuAD set as run_qa evaluates it: the examples' windows
/// (QuestionAnsweringFeatures), the model's start and end logits (batched as the pipeline batches
/// them), postprocess_qa_predictions, then EM and F1 (SQuADMetrics).
public struct QuestionAnsweringEvaluation: Sendable {
    public var predictions: [QuestionAnsweringPrediction]
    public var scores: SQuADScores
    /// Windows run.
    public var windows: Int

    public static func run(model: BertModel, dataset: SQuADDataset, features: QuestionAnsweringFeatureOptions = .init(),
                           postprocessing: QuestionAnsweringPostprocessing? = nil) throws -> QuestionAnsweringEvaluation {
        let post = postprocessing ?? QuestionAnsweringPostprocessing(versionTwo: dataset.hasImpossible)
        let pipeline = try QuestionAnswering(model: model, options: QuestionAnsweringOptions(
            maxSeqLen: features.maxSeqLength, docStride: features.docStride))
        let all = try QuestionAnsweringFeatures.make(dataset.examples, tokenizer: pipeline.tokenizer, options: features)
        let logits = try pipeline.run(all.map(\.window))
        var predictions: [QuestionAnsweringPrediction] = []
        var first = 0
        for (n, e) in dataset.examples.enumerated() {
            var last = first
            while last < all.count, all[last].example == n { last += 1 }
            predictions.append(post.predict(e, windows: all[first..<last].map(\.window), logits: Array(logits[first..<last])))
            first = last
        }
        let v2 = post.versionTwo
        let scores = SQuADScores(examples: dataset.examples, predictions: predictions.map(\.text), v2: v2,
                                 bestNonNull: v2 ? predictions.map { $0.bestNonNull ?? "" } : nil,
                                 nullScoreDiff: v2 ? predictions.map { $0.nullScoreDiff ?? 0 } : nil)
        return QuestionAnsweringEvaluation(predictions: predictions, scores: scores, windows: all.count)
    }
}
