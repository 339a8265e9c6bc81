import BertFormats
import Foundation

// transformers 5.23 BertForSequenceClassification.forward's losses, by problem_type:
// single_label_classification: CrossEntropyLoss (mean over rows); regression: MSELoss on the
// logits as they are (squeezed only when num_labels == 1, which changes nothing element-wise),
// mean over every element; multi_label_classification: BCEWithLogitsLoss, mean over every element.

/// What a batch is trained towards.
public enum TrainingTargets: Sendable, Equatable {
    /// One class per row (single-label classification).
    case classes([Int])
    /// [B, labels] floats: regression targets or multi-hot labels.
    case values([Float])
}

/// The loss of `logits` [B, L] and its gradient with respect to them (written into `dlogits`).
/// Accumulated in f64, as the losses are means of small terms.
public func classificationLoss(_ problem: ProblemType, logits: UnsafePointer<Float>, targets: TrainingTargets,
                               batch: Int, labels: Int, dlogits: UnsafeMutablePointer<Float>) -> Float {
    var loss = 0.0
    switch (problem, targets) {
    case (.singleLabel, .classes(let y)):
        precondition(y.count == batch, "one class per row")
        for b in 0..<batch {
            let row = logits + b * labels, d = dlogits + b * labels
            let m = (0..<labels).map { Double(row[$0]) }.max()!
            let sum = (0..<labels).reduce(0.0) { $0 + Foundation.exp(Double(row[$1]) - m) }
            loss += m + Foundation.log(sum) - Double(row[y[b]])
            for j in 0..<labels {
                let p = Foundation.exp(Double(row[j]) - m) / sum
                d[j] = Float((p - (j == y[b] ? 1 : 0)) / Double(batch))
            }
        }
        return Float(loss / Double(batch))
    case (.regression, .values(let y)):
        let n = batch * labels
        precondition(y.count == n, "one target per logit")
        for i in 0..<n {
            let e = Double(logits[i]) - Double(y[i])
            loss += e * e
            dlogits[i] = Float(2 * e / Double(n))
        }
        return Float(loss / Double(n))
    case (.multiLabel, .values(let y)):
        let n = batch * labels
        precondition(y.count == n, "one target per logit")
        for i in 0..<n {
            let x = Double(logits[i]), t = Double(y[i])
            loss += max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-abs(x)))
            dlogits[i] = Float((1 / (1 + Foundation.exp(-x)) - t) / Double(n))
        }
        return Float(loss / Double(n))
    default:
        preconditionFailure("targets do not match problem type \(problem)")
    }
}
