import BertFormats
import BertModel
import Foundation

/// The Quality check by the model's `problem_type` (config.json, as `bertkit evaluate` reads it),
/// scored by the code `evaluate` uses (BertModel's ClassifierEvaluation and ProblemEvaluation.swift):
/// - single-label: accuracy ≥ --min-accuracy, with the confusion matrix;
/// - multi-label: per-label accuracy at probability 0.5 ≥ --min-accuracy, micro-F1 ≥ --min-f1;
/// - regression: MSE ≤ --max-mse.
/// Without a bound the check is WARN with its figures.
enum ProblemQualityChecks {
    /// The probability at which a label is on: `evaluate`'s default --threshold.
    static let threshold = 0.5

    static func problem(of model: BertModel) -> ProblemType { model.config.problemType ?? .singleLabel }

    /// The check's name in the report.
    static func name(_ problem: ProblemType) -> String {
        switch problem {
        case .singleLabel: "accuracy"
        case .multiLabel: "multi-label scores"
        case .regression: "regression error"
        }
    }

    /// A bound given for a figure this problem type does not have is a usage error, not a failed check.
    static func checkBounds(_ o: Validator.Options, problem: ProblemType) throws {
        let misplaced = [("--min-accuracy", o.minAccuracy != nil && problem == .regression),
                         ("--min-f1", o.minF1 != nil && problem != .multiLabel),
                         ("--max-mse", o.maxMSE != nil && problem != .regression), ("--min-exact-match", o.minExactMatch != nil)]
        if let m = misplaced.first(where: \.1) { throw QualityBoundError(option: m.0, problem: problem) }
    }

    static func run(_ model: BertModel, data: String, _ ds: LabelledDataset, _ o: Validator.Options) throws -> (ValidationCheck, [String]) {
        switch ds.problem {
        case .singleLabel: try FidelityQualityChecks.quality(model, data: data, ds, minAccuracy: o.minAccuracy)
        case .multiLabel: try multiLabel(model, data: data, ds, minAccuracy: o.minAccuracy, minF1: o.minF1)
        case .regression: try regression(model, data: data, ds, maxMSE: o.maxMSE)
        }
    }

    static func multiLabel(_ model: BertModel, data: String, _ ds: LabelledDataset, minAccuracy: Double?, minF1: Double?)
        throws -> (ValidationCheck, [String]) {
        let m = MultiLabelMetrics(labels: model.config.id2label, truth: ds.examples.flatMap(\.values),
                                  logits: try model.classifierLogits(ds), threshold: threshold)
        let figures = ["label_accuracy": m.labelAccuracy, "micro_f1": m.microF1, "subset_accuracy": m.subsetAccuracy,
                       "macro_f1": m.macroF1, "loss": m.loss, "threshold": threshold, "examples": Double(m.count)]
        let summary = String(format: "label accuracy %.4f, micro F1 %.4f, exact match %.4f at threshold %.1f on %d examples",
                             m.labelAccuracy, m.microF1, m.subsetAccuracy, threshold, m.count)
        var lines = ["per label on \(m.count) examples of \(data) (threshold \(threshold)):",
                     "label                precision  recall     f1  support"]
        for p in m.perLabel {
            lines.append(p.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                         + String(format: " %9.4f %7.4f %6.4f %8d", p.precision, p.recall, p.f1, p.support))
        }
        let bounds = [minAccuracy.map { Bound("label accuracy", m.labelAccuracy, $0, atMost: false) },
                      minF1.map { Bound("micro F1", m.microF1, $0, atMost: false) }].compactMap { $0 }
        return (verdict(.multiLabel, bounds, summary: summary, unbounded: "--min-accuracy or --min-f1", figures: figures), lines)
    }

    static func regression(_ model: BertModel, data: String, _ ds: LabelledDataset, maxMSE: Double?) throws -> (ValidationCheck, [String]) {
        let m = RegressionMetrics(labels: model.config.id2label, truth: ds.examples.flatMap(\.values),
                                  predicted: try model.classifierLogits(ds))
        var figures = ["mse": m.mse, "mae": m.mae, "examples": Double(m.count)]
        figures["pearson"] = m.pearson  // absent when one side is constant (scipy's NaN)
        figures["spearman"] = m.spearman
        let r = m.pearson.map { String(format: "%.4f", $0) } ?? "n/a (a constant side)"
        let summary = String(format: "MSE %.4g, MAE %.4g, Pearson r %@ on %d examples", m.mse, m.mae, r, m.count)
        var lines: [String] = []
        if !m.perTarget.isEmpty {
            lines = ["per target on \(m.count) examples of \(data):", "target                    mse      mae  pearson"]
            for t in m.perTarget {
                lines.append(t.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                             + String(format: " %8.4f %8.4f ", t.mse, t.mae) + (t.pearson.map { String(format: "%8.4f", $0) } ?? "     n/a"))
            }
        }
        let bounds = [maxMSE.map { Bound("MSE", m.mse, $0, atMost: true) }].compactMap { $0 }
        return (verdict(.regression, bounds, summary: summary, unbounded: "--max-mse", figures: figures), lines)
    }

    /// One figure against its bound.
    struct Bound {
        let figure: String, value: Double, limit: Double, atMost: Bool
        init(_ figure: String, _ value: Double, _ limit: Double, atMost: Bool) {
            (self.figure, self.value, self.limit, self.atMost) = (figure, value, limit, atMost)
        }
        var holds: Bool { atMost ? value <= limit : value >= limit }
        var text: String { "\(figure) \(String(format: "%.4g", value)) \(holds ? (atMost ? "≤" : "≥") : (atMost ? ">" : "<")) \(limit)" }
    }

    static func verdict(_ problem: ProblemType, _ bounds: [Bound], summary: String, unbounded: String,
                        figures: [String: Double]) -> ValidationCheck {
        guard !bounds.isEmpty else {
            return ValidationCheck("Quality", name(problem), .warn, "\(summary) (no \(unbounded) given)", figures: figures)
        }
        let broken = bounds.filter { !$0.holds }
        let shown = broken.isEmpty ? bounds : broken
        return ValidationCheck("Quality", name(problem), broken.isEmpty ? .pass : .fail,
                               shown.map(\.text).joined(separator: ", ") + " (\(summary))", figures: figures)
    }
}

/// `--min-f1` on a regression model and the like.
public struct QualityBoundError: LocalizedError, Sendable {
    public let option: String
    public let problem: ProblemType
    public var errorDescription: String? {
        "\(option) does not apply to this model: its config.json has problem_type \(problem.rawValue)"
    }
}
