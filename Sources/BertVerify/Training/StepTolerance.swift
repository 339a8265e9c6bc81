import Foundation

/// How a training step is judged against a PyTorch step golden (formats/golden.md, "Step goldens"):
/// one rule per kind of tensor, scaled by the tensor. The step golden tests
/// (Tests/BertModelTests/TrainingGoldenComparison.swift) and `bertkit verify --train` both use these.
public enum StepTolerance {
    /// The loss and the head's output: one forward's f32 rounding, 1e-5 relative plus 1e-5 of the
    /// tensor's largest element (as for gradients).
    public static func output(largest: Double) -> Tolerance {
        Tolerance(atol: 1e-5 * largest + 1e-9, rtol: 1e-5)
    }

    /// Gradients: 1e-5 relative (the aim) plus 1e-5 of the tensor's largest element, since
    /// f32 sums of a few hundred terms in another order than PyTorch's leave a small element with
    /// the big ones' rounding (measured: within 1e-6 of the largest for all but a few elements per
    /// tensor, all within 1e-5). A dropped term (e.g. LayerNorm's mean(g·n)) is off by > 1e-2.
    public static func gradient(largest: Double) -> Tolerance {
        Tolerance(atol: 1e-5 * largest + 1e-9, rtol: 1e-5)
    }

    /// A gradient that is exactly 0 in exact arithmetic (softmax shift invariance: the attention key
    /// biases, QA's bias, multiple choice's one-output bias): both sides are rounding noise of sums
    /// of terms as large as the matching weight's gradient, so it is bounded, not compared: 1e-7
    /// (measured on the tiny fixtures: PyTorch's ≤ 3e-8) plus 1e-5 of that weight's largest gradient.
    public static func cancelling(siblingLargest: Double) -> Tolerance {
        Tolerance(atol: 1e-7 + 1e-5 * siblingLargest, rtol: 0)
    }

    /// Adam's first moment follows the gradient (0.1·g after one step), at 10× the gradient's rule:
    /// moments of later steps carry earlier steps' differences.
    public static func firstMoment(largest: Double) -> Tolerance {
        Tolerance(atol: 1e-4 * largest + 1e-10, rtol: 1e-3)
    }

    /// The second moment squares the gradient, doubling its relative error.
    public static func secondMoment(largest: Double) -> Tolerance {
        Tolerance(atol: 2e-4 * largest + 1e-14, rtol: 2e-3)
    }

    /// Parameters after the step: 0.5% of one step's size (an Adam step moves an element by at most
    /// about lr), so 5e-6 at lr 1e-3. Adam's update lr·m̂/√v̂ turns a 1e-4 relative gradient
    /// difference on an element with a near-zero moment into ~3e-6 at lr 1e-3. rtol 2.4e-7 is 2 ulp
    /// of f32: at a small lr, the last rounding of p − update may differ by an ulp of p.
    public static func parameter(learningRate: Double) -> Tolerance {
        Tolerance(atol: 5e-3 * learningRate, rtol: 2.4e-7)
    }

    /// Adam's first update is lr·g/(|g| + eps), whose slope lr·eps/(|g| + eps)² reaches lr/(4·eps) at
    /// |g| = eps: an element with 0 < |g| < 100·eps turns a gradient difference of 1e-9 (f32 rounding
    /// of the tensor's large elements, well inside the gradient rule) into ~1e-5 in the parameter.
    /// Those elements' values after the step are not compared (their moments are).
    public static func nearEps(_ g: Float, eps: Float) -> Bool { g != 0 && abs(g) < 100 * eps }
}
