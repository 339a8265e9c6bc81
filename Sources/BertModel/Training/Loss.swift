import BertFormats
import Foundation

// transformers 5.23 BertForSequenceClassification.forward's losses, by problem_type:
// single_label_classification: CrossEntropyLoss (mean over rows); regression: MSELoss on the
// logits as they are (squeezed only when num_labels == 1, which changes nothing element-wise),
// mean over every element; multi_label_classification: BCEWithLogitsLoss, mean over every element.

/// What a batch is trained towards, one case per task (the `labels=` … arguments transformers'
/// `BertFor…` classes take). −100 is torch's ignore index where a case says so.
public enum TrainingTargets: Sendable, Equatable {
    /// One class per row (single-label sequence classification).
    case classes([Int])
    /// [B, labels] floats: regression targets or multi-hot labels (sequence classification).
    case values([Float])
    /// [B, S] one label per token, −100 ignored (token classification).
    case tokenLabels([Int])
    /// [B] start and end token of the answer (question answering). Positions outside 0...S are
    /// clamped to that range and S is ignored, as transformers does.
    case spans(start: [Int], end: [Int])
    /// [B, S] the original id at each masked position, −100 elsewhere (masked LM).
    case maskedTokens([Int])
    /// [B] 0 when segment B continues segment A, 1 when it is random; −100 ignored (next sentence).
    case nextSentence([Int])
    /// Both of the above, their losses added (pre-training).
    case preTraining(maskedTokens: [Int], nextSentence: [Int])
    /// [examples] the right choice of each example; the batch holds examples × choices rows,
    /// choice-major within an example (multiple choice); −100 ignored.
    case choices([Int])
    /// [B, S] 1 where the token was replaced, 0 where it is the original (ELECTRA's discriminator);
    /// tokens outside the attention mask, and −100, are ignored.
    case replacedTokens([Int])

    /// The task the case trains, for messages.
    public var task: String {
        switch self {
        case .classes, .values: "sequence classification"
        case .tokenLabels: "token classification"
        case .spans: "question answering"
        case .maskedTokens: "masked LM"
        case .nextSentence: "next-sentence prediction"
        case .preTraining: "pre-training"
        case .choices: "multiple choice"
        case .replacedTokens: "replaced-token detection"
        }
    }
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

// torch.nn.CrossEntropyLoss(ignore_index=…) with reduction "mean", as every other head's loss uses
// it (modeling_bert.py): the mean, over the rows whose target is not `ignoreIndex`, of
// -log softmax(logits[r])[target[r]]. No kept row gives 0/0 = NaN, as torch does.

/// Forward and backward of the cross-entropy of logits[N, C] against targets[N]. Writes
/// dlogits[N, C] = weight · (softmax(logits[r]) - onehot(target[r])) / kept for kept rows and 0 for
/// ignored ones (`weight` is the term's factor in the total loss: ½ for each of QA's start and end).
/// Returns the mean loss, accumulated in f64. Targets were checked to lie in [0, C) or be ignored.
func crossEntropy(logits: UnsafePointer<Float>, targets: [Int], ignoreIndex: Int, rows n: Int, classes: Int,
                  weight: Double = 1, dlogits: UnsafeMutablePointer<Float>) -> Double {
    precondition(targets.count == n, "one target per row")
    let kept = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
    var loss = 0.0
    for r in 0..<n {
        let row = logits + r * classes, d = dlogits + r * classes, y = targets[r]
        guard y != ignoreIndex else {
            d.update(repeating: 0, count: classes)
            continue
        }
        let m = (0..<classes).map { Double(row[$0]) }.max()!
        let sum = (0..<classes).reduce(0.0) { $0 + Foundation.exp(Double(row[$1]) - m) }
        loss += m + Foundation.log(sum) - Double(row[y])
        for j in 0..<classes {
            let p = Foundation.exp(Double(row[j]) - m) / sum
            d[j] = Float(weight * (p - (j == y ? 1 : 0)) / Double(kept))
        }
    }
    return loss / Double(kept)
}
