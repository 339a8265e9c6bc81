import BertFormats
import BertTokenizer
import Foundation

// Scores for the two other transformers problem types (BertForSequenceClassification's
// `problem_type`): multi-label classification, thresholding sigmoid(logit) per label, and
// regression, comparing the logits with the targets as they are. Conventions follow scikit-learn:
// zero_division=0 for precision/recall/F1, Pearson's r and Spearman's ρ (average ranks for ties)
// as scipy.stats computes them.

extension BertModel {
    /// The classifier's logits [N, labels] for every example, in batches with dynamic padding.
    public func classifierLogits(_ dataset: LabelledDataset, batchSize: Int = 32, maxLength: Int = 128,
                                 progress: ((Int, Int) -> Void)? = nil) throws -> [Float] {
        guard head == .sequenceClassification else { throw ModelError.noClassifier }
        let tokenizer = try makeTokenizer()
        var out: [Float] = []
        out.reserveCapacity(dataset.examples.count * config.numLabels)
        var start = 0
        while start < dataset.examples.count {
            let batch = dataset.examples[start..<min(start + batchSize, dataset.examples.count)]
            let encoded = try BertInput.encode(batch.map { TextInput($0.text) }, tokenizer: tokenizer, config: config, limit: maxLength)
            guard let logits = try run(encoded.input).logits else { throw ModelError.noClassifier }
            out += logits
            start += batch.count
            progress?(start, dataset.examples.count)
        }
        return out
    }
}

/// Multi-label scores at one probability threshold.
public struct MultiLabelMetrics: Sendable, Codable, Equatable {
    /// A label's precision, recall, F1 and support (rows that have the label), as single-label's per class.
    public typealias PerLabel = ClassificationMetrics.PerClass

    public var problemType = ProblemType.multiLabel.rawValue
    public var labels: [String]
    public var threshold: Double
    /// Rows.
    public var count: Int
    /// Mean binary cross-entropy with logits, as the training loss.
    public var loss: Double
    /// Rows whose every label is predicted right (exact match).
    public var subsetAccuracy: Double
    /// Right row × label decisions, as the training report's accuracy.
    public var labelAccuracy: Double
    public var microPrecision: Double
    public var microRecall: Double
    public var microF1: Double
    public var macroF1: Double
    public var perLabel: [PerLabel]

    /// `truth` and `logits` are [N, labels]; a label is predicted when sigmoid(logit) ≥ threshold.
    public init(labels: [String], truth: [Float], logits: [Float], threshold: Double) {
        precondition(truth.count == logits.count && truth.count % max(labels.count, 1) == 0, "one logit per target")
        let n = labels.count, rows = n == 0 ? 0 : truth.count / n
        var tp = [Int](repeating: 0, count: n), fp = tp, fn = tp
        var exact = 0, right = 0, bce = 0.0
        for r in 0..<rows {
            var allRight = true
            for j in 0..<n {
                let x = Double(logits[r * n + j]), t = truth[r * n + j] >= 0.5
                let p = 1 / (1 + Foundation.exp(-x)) >= threshold
                bce += max(x, 0) - x * (t ? 1 : 0) + Foundation.log1p(Foundation.exp(-abs(x)))
                switch (p, t) {
                case (true, true): tp[j] += 1
                case (true, false): fp[j] += 1
                case (false, true): fn[j] += 1
                case (false, false): break
                }
                if p == t { right += 1 } else { allRight = false }
            }
            if allRight { exact += 1 }
        }
        self.labels = labels
        self.threshold = threshold
        count = rows
        loss = truth.isEmpty ? 0 : bce / Double(truth.count)
        subsetAccuracy = rows == 0 ? 0 : Double(exact) / Double(rows)
        labelAccuracy = truth.isEmpty ? 0 : Double(right) / Double(truth.count)
        perLabel = (0..<n).map { j in
            let (p, r, f) = Self.scores(tp: tp[j], fp: fp[j], fn: fn[j])
            return PerLabel(label: labels[j], precision: p, recall: r, f1: f, support: tp[j] + fn[j])
        }
        (microPrecision, microRecall, microF1) = Self.scores(tp: tp.reduce(0, +), fp: fp.reduce(0, +), fn: fn.reduce(0, +))
        macroF1 = n == 0 ? 0 : perLabel.map(\.f1).reduce(0, +) / Double(n)
    }

    /// Precision, recall and F1 with scikit-learn's zero_division=0.
    static func scores(tp: Int, fp: Int, fn: Int) -> (Double, Double, Double) {
        let p = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
        let r = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
        return (p, r, p + r > 0 ? 2 * p * r / (p + r) : 0)
    }
}

/// Regression scores over every row × target, and per target when there are several.
public struct RegressionMetrics: Sendable, Codable, Equatable {
    public struct Scores: Sendable, Codable, Equatable {
        public var label: String
        public var mse: Double
        public var mae: Double
        /// nil when either side is constant (scipy returns NaN there).
        public var pearson: Double?
        public var spearman: Double?

        init(label: String, truth: [Double], predicted: [Double]) {
            self.label = label
            let n = Double(max(truth.count, 1))
            mse = zip(truth, predicted).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) } / n
            mae = zip(truth, predicted).reduce(0) { $0 + abs($1.1 - $1.0) } / n
            pearson = RegressionMetrics.pearson(truth, predicted)
            spearman = RegressionMetrics.pearson(RegressionMetrics.ranks(truth), RegressionMetrics.ranks(predicted))
        }
    }

    public var problemType = ProblemType.regression.rawValue
    public var labels: [String]
    /// Rows.
    public var count: Int
    /// Over every row × target; `mse` is the training loss.
    public var mse: Double
    public var mae: Double
    public var pearson: Double?
    public var spearman: Double?
    /// One entry per target when there are several; empty for one.
    public var perTarget: [Scores]

    /// `truth` and `predicted` are [N, labels].
    public init(labels: [String], truth: [Float], predicted: [Float]) {
        precondition(truth.count == predicted.count && truth.count % max(labels.count, 1) == 0, "one prediction per target")
        let n = labels.count
        let t = truth.map(Double.init), p = predicted.map(Double.init)
        let all = Scores(label: "all", truth: t, predicted: p)
        self.labels = labels
        count = n == 0 ? 0 : truth.count / n
        (mse, mae, pearson, spearman) = (all.mse, all.mae, all.pearson, all.spearman)
        perTarget = n < 2 ? [] : (0..<n).map { j in
            Scores(label: labels[j], truth: stride(from: j, to: t.count, by: n).map { t[$0] },
                   predicted: stride(from: j, to: p.count, by: n).map { p[$0] })
        }
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count >= 2 else { return nil }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// 1-based ranks, ties sharing their average rank (scipy.stats.rankdata's "average").
    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, x[order[j + 1]] == x[order[i]] { j += 1 }
            for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return r
    }
}
