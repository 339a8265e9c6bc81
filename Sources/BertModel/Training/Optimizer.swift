import CBertKit
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

    /// One update of `params` from `grads` at learning rate `lr` (from the schedule). Elements in
    /// `frozen` (sorted, disjoint offset ranges) are not touched: parameter, moments, decay.
    public mutating func update(params: UnsafeMutableBufferPointer<Float>, grads: UnsafeBufferPointer<Float>, lr: Float,
                                frozen: [Range<Int>] = []) {
        update(params: params, grads: grads, lr: lr, frozen: frozen, partialSquares: nil)
    }

    /// `update`, returning `gradientNorm(grads)` (the same bits) read in the same pass over the gradients.
    public mutating func updateReturningGradientNorm(params: UnsafeMutableBufferPointer<Float>,
                                                     grads: UnsafeBufferPointer<Float>, lr: Float,
                                                     frozen: [Range<Int>] = []) -> Float {
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: gradientChunks(grads.count))
        defer { partial.deallocate() }
        partial.initialize(repeating: 0)
        update(params: params, grads: grads, lr: lr, frozen: frozen, partialSquares: partial.baseAddress)
        return Float(partial.reduce(0, +).squareRoot())
    }

    private mutating func update(params: UnsafeMutableBufferPointer<Float>, grads: UnsafeBufferPointer<Float>, lr: Float,
                                 frozen: [Range<Int>], partialSquares: UnsafeMutablePointer<Double>?) {
        precondition(params.count == exp_avg.count && grads.count == params.count, "optimizer state does not fit the parameters")
        step += 1
        let s = settings
        // The constants as torch derives them; the kernel (CBertKit adam.c) applies torch's
        // formula in its order: decay or L2, exp_avg.lerp_(grad, 1 - β₁) (m + w·(g - m) for w < 0.5),
        // v·β₂ + (1-β₂)·g·g, then p - step_size·(m / (√v / √(1-β₂ᵗ) + eps)).
        var k = bk_adam_step()
        k.step_size = lr / (1 - powf(s.beta1, Float(step)))
        k.beta2 = s.beta2
        k.one_minus_beta1 = 1 - s.beta1
        k.one_minus_beta2 = 1 - s.beta2
        k.bias_correction2_sqrt = sqrtf(1 - powf(s.beta2, Float(step)))
        k.eps = s.eps
        k.l2 = s.kind == .adam ? s.weightDecay : 0
        k.decay = s.kind == .adamw ? 1 - lr * s.weightDecay : 1
        let n = params.count, chunks = gradientChunks(n)
        exp_avg.withUnsafeMutableBufferPointer { m in
            exp_avg_sq.withUnsafeMutableBufferPointer { v in
                let m = m.baseAddress!, v = v.baseAddress!, params = params.baseAddress!, grads = grads.baseAddress!
                // Element-wise, so chunks on every core give the same bits as one loop; the chunks
                // are gradientNorm's, so their sums of squares add up to its norm.
                parallelFor(chunks) { range in
                    withUnsafePointer(to: k) { k in
                        for c in range {
                            let at = c * gradientChunk, count = min(gradientChunk, n - at)
                            let parts = trainable(at..<at + count, frozen: frozen)
                            if parts.count == 1, parts[0].count == count {
                                bk_adam_update(params + at, grads + at, m + at, v + at, count, k, partialSquares.map { $0 + c })
                                continue
                            }
                            // A chunk with frozen elements: the norm still reads all of it, as gradientNorm does.
                            partialSquares?[c] = bk_sum_squares(grads + at, count)
                            for r in parts {
                                let i = r.lowerBound
                                bk_adam_update(params + i, grads + i, m + i, v + i, r.count, k, nil)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The parts of `chunk` outside the sorted, disjoint `frozen` ranges.
private func trainable(_ chunk: Range<Int>, frozen: [Range<Int>]) -> [Range<Int>] {
    var parts: [Range<Int>] = [], at = chunk.lowerBound
    for f in frozen where f.upperBound > chunk.lowerBound && f.lowerBound < chunk.upperBound {
        if f.lowerBound > at { parts.append(at..<f.lowerBound) }
        at = max(at, f.upperBound)
    }
    if at < chunk.upperBound { parts.append(at..<chunk.upperBound) }
    return parts
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

/// Gradients are read in fixed chunks whose f64 sums of squares are added in chunk order: the
/// same norm for any thread count, and from `updateReturningGradientNorm` too.
private let gradientChunk = 1 << 16
private func gradientChunks(_ n: Int) -> Int { max(1, (n + gradientChunk - 1) / gradientChunk) }

/// L2 norm of a gradient buffer, accumulated in f64.
public func gradientNorm(_ grads: UnsafeBufferPointer<Float>) -> Float {
    let chunks = gradientChunks(grads.count)
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0)
    let base = grads.baseAddress
    parallelFor(grads.count == 0 ? 0 : chunks) { range in
        for c in range {
            let at = c * gradientChunk
            partial[c] = bk_sum_squares(base! + at, min(gradientChunk, grads.count - at))
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
