import BertFormats
import BertTokenizer
import Foundation

// examples/pytorch/multiple-choice/run_swag.py's preprocessing: each example is C rows
// (sent1, f"{sent2} {ending_i}"), tokenized with truncation=True (longest_first) at
// max_seq_length; the batch is [B, C, S] flattened to B·C rows, choice-major within an example,
// which is how BertForMultipleChoice views it.

/// Multiple-choice examples tokenized once, batched on demand.
public struct MultipleChoiceRows: Sendable {
    /// Per example, per choice: token ids and token types.
    public let rows: [[(ids: [Int], types: [Int])]]
    public let labels: [Int]
    public let choices: Int
    /// Choice rows cut to `limit` tokens.
    public let truncated: Int
    public let limit: Int

    public init(_ data: MultipleChoiceDataset, model: BertModel, maxLength: Int) throws {
        let tokenizer = try model.makeTokenizer()
        let limit = min(maxLength, model.config.maxSequenceLength)
        self.limit = limit
        choices = data.choices
        let inputs = data.examples.flatMap { e in e.secondSegments.map { TextInput(e.context, pair: $0) } }
        let full = try tokenizer.encode(inputs, options: EncodingOptions(truncation: Truncation.none))
        truncated = full.filter { $0.count > limit }.count
        let cut = truncated == 0 ? full : try tokenizer.encode(inputs, options: EncodingOptions(maxLength: limit, truncation: .longestFirst))
        let c = data.choices
        rows = data.examples.indices.map { b in (0..<c).map { (cut[b * c + $0].inputIds, cut[b * c + $0].tokenTypeIds) } }
        labels = data.examples.map(\.label)
    }

    /// Examples `indices` as B·C right-padded rows and their `.choices` targets.
    public func batch(_ indices: [Int], config: BertConfig) throws -> (BertInput, TrainingTargets) {
        let flat = indices.flatMap { rows[$0] }
        let input = try BertInput(rows: flat.map(\.ids), tokenTypes: flat.map(\.types), config: config)
        return (input, .choices(indices.map { labels[$0] }))
    }
}

/// Accuracy of a multiple-choice model (run_swag's `compute_metrics`: argmax over the C logits).
public struct MultipleChoiceMetrics: Codable, Equatable, Sendable {
    public var examples: Int
    public var choices: Int
    public var accuracy: Double
    /// Mean cross-entropy over the choices.
    public var loss: Double
    /// The predicted ending of each example.
    public var predictions: [Int]
}

public enum MultipleChoiceEvaluation {
    /// Scores `model` (a multiple-choice head) on `data`; `progress(done, total)` after each batch.
    public static func run(model: BertModel, data: MultipleChoiceRows, batchSize: Int = 8,
                           progress: ((Int, Int) -> Void)? = nil) throws -> MultipleChoiceMetrics {
        try PipelineTask.multipleChoice.check(model.architecture)
        let c = data.choices
        var predictions: [Int] = [], lossSum = 0.0, start = 0
        while start < data.rows.count {
            let indices = Array(start..<min(start + batchSize, data.rows.count))
            let (input, _) = try data.batch(indices, config: model.config)
            let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
            buffers.choices = c
            try model.forward(input, into: buffers)
            guard let logits = buffers.logits else { preconditionFailure("a checked multiple-choice head has logits") }
            for (k, i) in indices.enumerated() {
                let row = Array(UnsafeBufferPointer(start: logits + k * c, count: c))  // [B·C, 1] viewed as [B, C]
                let m = Double(row.max()!)
                lossSum += m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) }) - Double(row[data.labels[i]])
                predictions.append(row.firstIndex(of: row.max()!)!)
            }
            start += indices.count
            progress?(start, data.rows.count)
        }
        let right = zip(predictions, data.labels).filter { $0 == $1 }.count
        return MultipleChoiceMetrics(examples: predictions.count, choices: c, accuracy: Double(right) / Double(predictions.count),
                                     loss: lossSum / Double(predictions.count), predictions: predictions)
    }
}
