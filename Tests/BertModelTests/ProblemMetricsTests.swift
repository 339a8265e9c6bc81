import BertModel
import Foundation
import XCTest

/// Multi-label and regression metrics on hand-worked numbers.
final class ProblemMetricsTests: XCTestCase {
    func testMultiLabelAtThreshold() {
        // Rows × labels (a, b). At 0.5 the predictions are [1,0], [0,1], [1,0]:
        // a: tp 1, fp 1 (row 2), fn 1 (row 1); b: tp 1. Row 0 alone is exactly right.
        let truth: [Float] = [1, 0, 1, 1, 0, 0]
        let logits: [Float] = [2, -1, -1, 3, 0.5, -2]
        let m = MultiLabelMetrics(labels: ["a", "b"], truth: truth, logits: logits, threshold: 0.5)
        // Exact ratios of small counts; 1e-12 is f64 rounding.
        let eps = 1e-12
        XCTAssertEqual(m.count, 3)
        XCTAssertEqual(m.perLabel.map(\.support), [2, 1])
        XCTAssertEqual(m.perLabel[0].precision, 0.5, accuracy: eps)
        XCTAssertEqual(m.perLabel[0].recall, 0.5, accuracy: eps)
        XCTAssertEqual(m.perLabel[1].f1, 1, accuracy: eps)
        XCTAssertEqual(m.microPrecision, 2.0 / 3, accuracy: eps)
        XCTAssertEqual(m.microF1, 2.0 / 3, accuracy: eps)
        XCTAssertEqual(m.macroF1, 0.75, accuracy: eps)
        XCTAssertEqual(m.subsetAccuracy, 1.0 / 3, accuracy: eps)
        XCTAssertEqual(m.labelAccuracy, 4.0 / 6, accuracy: eps)
        // BCE-with-logits, written out: −[t·log σ(x) + (1−t)·log(1−σ(x))].
        let bce = zip(truth, logits).map { t, x -> Double in
            let s = 1 / (1 + exp(-Double(x)))
            return -(Double(t) * log(s) + (1 - Double(t)) * log(1 - s))
        }.reduce(0, +) / 6
        XCTAssertEqual(m.loss, bce, accuracy: 1e-12)
        // σ(2) = 0.88 is below 0.9: label a is never predicted, so its recall drops to 0 (zero_division 0).
        let strict = MultiLabelMetrics(labels: ["a", "b"], truth: truth, logits: logits, threshold: 0.9)
        XCTAssertEqual(strict.perLabel[0].recall, 0)
        XCTAssertEqual(strict.perLabel[0].precision, 0)
        XCTAssertEqual(strict.perLabel[1].recall, 1)
    }

    func testRegressionScores() throws {
        let m = RegressionMetrics(labels: ["y"], truth: [1, 2, 3, 4], predicted: [1, 3, 2, 5])
        // f64 sums of four small terms.
        let eps = 1e-12
        XCTAssertEqual(m.mse, 0.75, accuracy: eps)
        XCTAssertEqual(m.mae, 0.75, accuracy: eps)
        // Σdxdy = 5.5, Σdx² = 5, Σdy² = 8.75.
        XCTAssertEqual(try XCTUnwrap(m.pearson), 5.5 / (5 * 8.75).squareRoot(), accuracy: eps)
        // Ranks 1 3 2 4 vs 1 2 3 4: ρ = 1 − 6·2 / (4·15).
        XCTAssertEqual(try XCTUnwrap(m.spearman), 0.8, accuracy: eps)
        XCTAssertEqual(m.perTarget, [])
        // Ties take their average rank (scipy's rankdata): ranks 1, 2.5, 2.5, 4 against 1…4.
        let tied = RegressionMetrics(labels: ["y"], truth: [1, 2, 3, 4], predicted: [0, 5, 5, 9])
        // Centred ranks −1.5, 0, 0, 1.5 against −1.5, −0.5, 0.5, 1.5: Σ = 4.5, Σr² = 4.5, Σt² = 5.
        let want = 4.5 / (4.5 * 5).squareRoot()
        XCTAssertEqual(try XCTUnwrap(tied.spearman), want, accuracy: eps)
        // A constant prediction has no correlation (scipy: NaN), here null.
        XCTAssertNil(RegressionMetrics(labels: ["y"], truth: [1, 2, 3], predicted: [2, 2, 2]).pearson)
        // Two targets, rows × targets: per-target scores use their own column.
        let two = RegressionMetrics(labels: ["u", "v"], truth: [0, 10, 1, 20, 2, 30], predicted: [0, 10, 1, 20, 3, 30])
        XCTAssertEqual(two.perTarget.map(\.label), ["u", "v"])
        XCTAssertEqual(two.perTarget[0].mse, 1.0 / 3, accuracy: eps)
        XCTAssertEqual(two.perTarget[1].mse, 0, accuracy: eps)
        XCTAssertEqual(two.mse, 1.0 / 6, accuracy: eps)
    }
}
