/// Accuracy, per-class precision/recall/F1 and the confusion matrix of a classifier's predictions.
public struct ClassificationMetrics: Sendable, Codable, Equatable {
    public struct PerClass: Sendable, Codable, Equatable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public var labels: [String]
    /// `confusion[truth][predicted]`.
    public var confusion: [[Int]]
    public var accuracy: Double
    public var perClass: [PerClass]
    public var macroF1: Double
    public var count: Int

    public init(labels: [String], truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count, "one prediction per example")
        let n = labels.count
        var c = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        for (t, p) in zip(truth, predicted) { c[t][p] += 1 }
        self.labels = labels
        confusion = c
        count = truth.count
        let correct = (0..<n).reduce(0) { $0 + c[$1][$1] }
        accuracy = truth.isEmpty ? 0 : Double(correct) / Double(truth.count)
        perClass = (0..<n).map { k in
            let tp = Double(c[k][k])
            let predictedK = Double((0..<n).reduce(0) { $0 + c[$1][k] })
            let actualK = c[k].reduce(0, +)
            // sklearn's zero_division=0 convention.
            let p = predictedK > 0 ? tp / predictedK : 0
            let r = actualK > 0 ? tp / Double(actualK) : 0
            let f = p + r > 0 ? 2 * p * r / (p + r) : 0
            return PerClass(label: labels[k], precision: p, recall: r, f1: f, support: actualK)
        }
        macroF1 = n == 0 ? 0 : perClass.map(\.f1).reduce(0, +) / Double(n)
    }
}
