import BertFormats
import Foundation

// transformers pipelines/text_classification.py: regression returns the raw values; multi-label (or
// a single label) takes sigmoid per label; otherwise softmax.

/// A sequence classifier's logits as the scores its problem type implies.
public struct ClassifierScores: Sendable, Equatable {
    public let values: [Float]
    /// `softmax`, `sigmoid` or `value`.
    public let kind: String
    /// The best label (the value itself for a one-output regression).
    public let label: String

    public init(logits: [Float], problemType: ProblemType?, labels: [String]) {
        switch problemType {
        case .regression:
            values = logits
            kind = "value"
        case .multiLabel:
            values = logits.map { 1 / (1 + expf(-$0)) }
            kind = "sigmoid"
        case .singleLabel, nil:
            let m = logits.max() ?? 0
            let e = logits.map { expf($0 - m) }
            let s = e.reduce(0, +)
            values = e.map { $0 / s }
            kind = "softmax"
        }
        let v = values
        let best = v.indices.max { v[$0] < v[$1] } ?? 0
        label = problemType == .regression && labels.count == 1 ? String(format: "%.4f", v[0]) : labels[best]
    }
}
