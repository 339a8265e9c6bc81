import BertFormats
import Foundation

/// Multiple-choice training as a batch source: each example its C rows (run_swag's inputs), the
/// batch [B·C, S]; the metric is accuracy over the examples since the last report.
public struct MultipleChoiceBatchSource: TrainingBatchSource {
    public let data: MultipleChoiceRows
    let config: BertConfig

    public init(_ data: MultipleChoiceRows, config: BertConfig) {
        self.data = data
        self.config = config
    }

    public var count: Int { data.rows.count }

    public func batch(rows: [Int], step: Int) throws -> TrainingBatch {
        let (input, targets) = try data.batch(rows, config: config)
        return TrainingBatch(input: input, targets: targets, rows: rows)
    }

    public func makeMetric() -> any TrainingTaskMetric { Accuracy(choices: data.choices) }

    struct Accuracy: TrainingTaskMetric {
        let choices: Int
        var right = 0, total = 0
        var name: String { "Accuracy" }
        var value: Double { total == 0 ? 0 : Double(right) / Double(total) }

        mutating func add(_ result: Trainer.StepResult, batch: TrainingBatch) {
            guard case .choices(let labels) = batch.targets else { return }
            // result.logits is [B·C] viewed as [B, C].
            for (b, y) in labels.enumerated() {
                let row = result.logits[b * choices..<(b + 1) * choices]
                if row.firstIndex(of: row.max()!)! - b * choices == y { right += 1 }
                total += 1
            }
        }

        mutating func reset() { (right, total) = (0, 0) }
    }
}
