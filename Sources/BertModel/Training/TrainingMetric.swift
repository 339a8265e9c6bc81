import BertFormats

/// The second number of a training report, by problem type, accumulated over the rows seen since
/// the last report:
/// - single-label: accuracy of the argmax;
/// - multi-label: per-label accuracy at probability 0.5 (a logit ≥ 0), over every row × label;
/// - regression: mean absolute error over every row × label (the loss is already the MSE).
public struct TrainingMetric: Sendable {
    public let problem: ProblemType
    public let labels: Int
    private var sum = 0.0
    private var count = 0

    public init(problem: ProblemType, labels: Int) {
        self.problem = problem
        self.labels = labels
    }

    /// The name on the report line: `Accuracy` or `MAE`.
    public var name: String { problem == .regression ? "MAE" : "Accuracy" }

    public var value: Double { count == 0 ? 0 : sum / Double(count) }

    /// The loss's targets for `rows`.
    public func targets(_ rows: [LabelledExample]) -> TrainingTargets {
        problem == .singleLabel ? .classes(rows.map(\.label)) : .values(rows.flatMap(\.values))
    }

    /// Adds a batch: `logits` [B, labels] for `rows`.
    public mutating func add(logits: [Float], rows: [LabelledExample]) {
        for (b, row) in rows.enumerated() {
            let l = logits[b * labels..<(b + 1) * labels]
            switch problem {
            case .singleLabel:
                if l.indices.max(by: { l[$0] < l[$1] })! - b * labels == row.label { sum += 1 }
                count += 1
            case .multiLabel:
                for (x, t) in zip(l, row.values) where (x >= 0) == (t >= 0.5) { sum += 1 }
                count += labels
            case .regression:
                for (x, t) in zip(l, row.values) { sum += Double(abs(x - t)) }
                count += labels
            }
        }
    }

    public mutating func reset() {
        sum = 0
        count = 0
    }
}
