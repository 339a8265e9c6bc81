import Foundation

/// Adam and AdamW exactly as `torch.optim.Adam` / `torch.optim.AdamW` compute them
/// (torch/optim/adam.py `_single_tensor_adam`, amsgrad off, maximize off): same bias correction,
/// eps added after the square root is divided by √(1-β₂ᵗ), and AdamW's decay applied to the
/// parameter before the update. Works on one flat f32 parameter buffer.
public struct AdamOptimizer: Sendable {
    public enum Kind: String, Sendable, Codable { case adam, adamw }

    public struct Settings: Sendable, Codable, Equatable {
        public var kind: Kind
        public var learningRate: Float
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var eps: Float = 1e-8
        /// Adam: L2 added to the gradient; AdamW: decoupled, `p -= lr·wd·p`.
        public var weightDecay: Float = 0
        public init(kind: Kind, learningRate: Float, weightDecay: Float = 0) {
            self.kind = kind
            self.learningRate = learningRate
            self.weightDecay = weightDecay
        }
    }

    public var settings: Settings
    /// Steps taken (torch's `state['step']`).
    public private(set) var step = 0
    /// First and second moments (`exp_avg`, `exp_avg_sq`), laid out like the parameters.
    public private(set) var exp_avg: [Float]
    public private(set) var exp_avg_sq: [Float]

    public init(settings: Settings, parameterCount: Int) {
        self.settings = settings
        exp_avg = [Float](repeating: 0, count: parameterCount)
        exp_avg_sq = [Float](repeating: 0, count: parameterCount)
    }

    /// Restores saved state (resuming training).
    public init(settings: Settings, step: Int, exp_avg: [Float], exp_avg_sq: [Float]) {
        precondition(exp_avg.count == exp_avg_sq.count)
        self.settings = settings
        self.step = step
        self.exp_avg = exp_avg
        self.exp_avg_sq = exp_avg_sq
    }

    /// One update of `params` from `grads` at learning rate `lr` (from the schedule).
    public mutating func update(params: UnsafeMutableBufferPointer<Float>, grads: UnsafeBufferPointer<Float>, lr: Float) {
        precondition(params.count == exp_avg.count && grads.count == params.count, "optimizer state does not fit the parameters")
        step += 1
        let s = settings
        let b1 = s.beta1, b2 = s.beta2
        let bc1 = 1 - powf(b1, Float(step))
        let bc2Sqrt = sqrtf(1 - powf(b2, Float(step)))
        let stepSize = lr / bc1
        let decay = s.kind == .adamw ? 1 - lr * s.weightDecay : 1
        let l2 = s.kind == .adam ? s.weightDecay : 0
        exp_avg.withUnsafeMutableBufferPointer { m in
            exp_avg_sq.withUnsafeMutableBufferPointer { v in
                let n = params.count, m = m.baseAddress!, v = v.baseAddress!, params = params.baseAddress!, grads = grads.baseAddress!
                // Element-wise, so chunks on every core give the same bits as one loop.
                parallelFor(n, grain: 1 << 16) { range in
                    for i in range {
                        var p = params[i]
                        var g = grads[i]
                        if l2 != 0 { g += l2 * p }
                        if decay != 1 { p *= decay }
                        // torch: exp_avg.lerp_(grad, 1 - beta1), which computes self + w·(end - self) for w < 0.5.
                        m[i] += (1 - b1) * (g - m[i])
                        v[i] = v[i] * b2 + (1 - b2) * g * g
                        let denom = sqrtf(v[i]) / bc2Sqrt + s.eps
                        params[i] = p - stepSize * (m[i] / denom)
                    }
                }
            }
        }
    }
}

/// `torch.nn.utils.clip_grad_norm_`: the L2 norm over all gradients; when it exceeds `maxNorm`,
/// every gradient is scaled by `maxNorm / (norm + 1e-6)`. Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
    let norm = gradientNorm(UnsafeBufferPointer(grads))
    let coef = min(maxNorm / (norm + 1e-6), 1)
    if coef < 1 {
        let base = grads.baseAddress!
        parallelFor(grads.count, grain: 1 << 16) { range in for i in range { base[i] *= coef } }
    }
    return norm
}

/// L2 norm of a gradient buffer, accumulated in f64.
public func gradientNorm(_ grads: UnsafeBufferPointer<Float>) -> Float {
    // Fixed chunks summed in order: the same result for any thread count.
    let chunk = 1 << 16, chunks = (grads.count + chunk - 1) / chunk
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(chunks, 1))
    defer { partial.deallocate() }
    partial.initialize(repeating: 0)
    let base = grads.baseAddress
    parallelFor(chunks) { range in
        for c in range {
            var s = 0.0
            for i in c * chunk..<min((c + 1) * chunk, grads.count) { s += Double(base![i]) * Double(base![i]) }
            partial[c] = s
        }
    }
    return Float(partial.reduce(0, +).squareRoot())
}

/// Learning-rate schedules, as transformers' `get_constant_schedule` and
/// `get_linear_schedule_with_warmup` define them (step 0 is the first update).
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    case constant
    case linear(warmupSteps: Int, totalSteps: Int)

    public func multiplier(step: Int) -> Float {
        switch self {
        case .constant: return 1
        case .linear(let w, let t):
            if step < w { return Float(step) / Float(max(1, w)) }
            return max(0, Float(t - step) / Float(max(1, t - w)))
        }
    }
}
