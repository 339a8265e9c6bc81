import BertModel
import XCTest

/// Hand-computed single steps; the PyTorch goldens (TrainingGoldenTests) check whole models.
final class OptimizerTests: XCTestCase {
    private func step(_ kind: AdamOptimizer.Kind, wd: Float, p: Float, g: Float, lr: Float) -> (Float, AdamOptimizer) {
        var o = AdamOptimizer(settings: .init(kind: kind, learningRate: lr, weightDecay: wd), parameterCount: 1)
        var params = [p]
        let grads = [g]
        params.withUnsafeMutableBufferPointer { pp in grads.withUnsafeBufferPointer { o.update(params: pp, grads: $0, lr: lr) } }
        return (params[0], o)
    }

    func testFirstAdamStepMovesByTheLearningRate() {
        // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps·…) ≈ lr·sign(g).
        let (p, o) = step(.adam, wd: 0, p: 1, g: 0.5, lr: 0.1)
        XCTAssertEqual(p, 0.9, accuracy: 1e-6)
        // 1 - 0.9 and 1 - 0.999 are not exact in f32, so allow a few ulps.
        XCTAssertEqual(o.exp_avg[0], 0.05, accuracy: 1e-7)
        XCTAssertEqual(o.exp_avg_sq[0], 0.00025, accuracy: 1e-10 * 100)
        XCTAssertEqual(o.step, 1)
    }

    func testAdamWDecaysTheParameterNotTheGradient() {
        let (p, o) = step(.adamw, wd: 0.5, p: 2, g: 0.5, lr: 0.1)
        // p·(1 - lr·wd) - lr·sign(g) = 2·0.95 - 0.1
        XCTAssertEqual(p, 1.8, accuracy: 1e-6)
        XCTAssertEqual(o.exp_avg[0], 0.05, accuracy: 1e-7, "AdamW moments see the raw gradient")
        let (pa, oa) = step(.adam, wd: 0.5, p: 2, g: 0.5, lr: 0.1)
        XCTAssertEqual(oa.exp_avg[0], 0.15, accuracy: 1e-7, "Adam adds wd·p to the gradient")
        XCTAssertEqual(pa, 1.9, accuracy: 1e-6)
    }

    func testClipGradNormLikeTorch() {
        var g: [Float] = [3, 4]
        let n = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
        XCTAssertEqual(n, 5)
        XCTAssertEqual(g[0], 3 / (5 + 1e-6), accuracy: 1e-7)
        var small: [Float] = [0.3, 0.4]
        small.withUnsafeMutableBufferPointer { _ = clipGradientNorm($0, maxNorm: 1) }
        XCTAssertEqual(small, [0.3, 0.4], "norms under the limit are left alone")
    }

    func testLinearWarmupThenDecay() {
        let s = LearningRateSchedule.linear(warmupSteps: 2, totalSteps: 5)
        XCTAssertEqual((0..<6).map { s.multiplier(step: $0) }, [0, 0.5, 1, 2.0 / 3, 1.0 / 3, 0])
        XCTAssertEqual(LearningRateSchedule.constant.multiplier(step: 99), 1)
    }

    func testMetrics() {
        let m = ClassificationMetrics(labels: ["a", "b", "c"], truth: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 2, 0])
        XCTAssertEqual(m.accuracy, 4.0 / 6)
        XCTAssertEqual(m.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        XCTAssertEqual(m.perClass[1].precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.perClass[1].recall, 1)
        XCTAssertEqual(m.perClass[0].f1, 0.5, accuracy: 1e-12)
    }
}
