import BertFormats
import BertTensors

/// One model being trained: gradients in a ParameterStore-shaped buffer, Adam/AdamW state, the
/// learning-rate schedule and optional clipping. `step` is one forward, loss, backward and update,
/// as a PyTorch loop does it (`zero_grad`, `loss.backward()`, `clip_grad_norm_`, `opt.step()`,
/// `scheduler.step()`), in training mode: dropout on at the config's rates unless told otherwise.
/// Step k's masks follow from (seed, k), so a run resumed from saved optimizer state drops what the
/// uninterrupted run would have.
///
/// Every head trains, with the targets of its task (`TrainingTargets`, losses in TaskLoss.swift).
/// Parameters the head does not read (`frozen`: a carried pooler or NSP head, the untied decoder's
/// unused `cls.predictions.bias`) get no gradient and are left alone by the optimizer, moments and
/// weight decay included: the PyTorch model lacks them, or its optimizer skips a parameter whose
/// `.grad` is None.
public final class Trainer: @unchecked Sendable {
    public let model: BertModel
    public let gradients: ParameterStore
    public var optimizer: AdamOptimizer
    public var schedule: LearningRateSchedule
    public var clipNorm: Float?
    public let problem: ProblemType
    public let dropout: DropoutRates
    public let seed: UInt64
    /// Parameters the optimizer never touches (see above), in forward order.
    public let frozen: [BertParameter]
    private let frozenRanges: [Range<Int>]
    private var activations: ActivationBuffers?
    private var gradientBuffers: GradientBuffers?
    private var masks: DropoutMasks?

    public struct StepResult: Sendable {
        public let loss: Float
        /// Total gradient norm before clipping.
        public let gradientNorm: Float
        public let learningRate: Float
        /// The head's output: [B, labels] (sequence classification), [T, labels] (token), [T, 2]
        /// (QA), [B·C] (multiple choice, viewed [B, C]), [B, 2] (next sentence), [N, V] at the N
        /// labelled positions (masked LM and pre-training).
        public let logits: [Float]
    }

    /// `dropout`: nil takes the config's rates (transformers' `model.train()`); `.off` trains without.
    public init(model: BertModel, optimizer: AdamOptimizer.Settings, schedule: LearningRateSchedule = .constant,
                clipNorm: Float? = nil, problem: ProblemType? = nil, dropout: DropoutRates? = nil, seed: UInt64 = 0) {
        precondition(model.head != .none, "training needs a head: BertModel alone has no loss")
        self.model = model
        gradients = ParameterStore(layout: model.parameters.layout)
        self.optimizer = AdamOptimizer(settings: optimizer, parameterCount: model.parameters.count)
        self.schedule = schedule
        self.clipNorm = clipNorm
        self.problem = problem ?? model.config.problemType ?? .singleLabel
        self.dropout = dropout ?? DropoutRates(config: model.config, head: model.head)
        self.seed = seed
        let a = model.architecture
        var frozen = a.carried
        if a.head.hasMaskedLM, !a.tiedDecoder, !model.config.family.maskedLM.sharedBias { frozen.append(.head(.mlmBias)) }
        self.frozen = frozen.sorted()
        let layout = model.parameters.layout
        frozenRanges = self.frozen.compactMap { layout[$0] }.map { $0.offset..<$0.offset + $0.count }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Zeroes the gradients, runs forward and backward, and returns the loss and logits. Dropout
    /// uses `masks` as given when passed (tests feed PyTorch's), else this step's own draw.
    public func lossAndGradients(_ input: BertInput, targets: TrainingTargets,
                                 masks given: DropoutMasks? = nil) throws -> (loss: Float, logits: [Float]) {
        try model.check(targets, batch: input.batch, seq: input.seq)
        let family = model.config.family
        if model.head.hasNextSentence, let key = family.nextSentenceDropout, dropout.classifier > 0 {
            throw FineTuningError.unsupportedDropout(family: family.displayName, head: model.head, key: key, rate: Double(dropout.classifier))
        }
        let a: ActivationBuffers, d: GradientBuffers
        if let c = activations, c.batch == input.batch, c.seq == input.seq, let g = gradientBuffers {
            a = c
            d = g
        } else {
            activations = nil
            gradientBuffers = nil
            a = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: true)
            d = GradientBuffers(config: model.config, batch: input.batch, seq: input.seq, head: model.head)
            activations = a
            gradientBuffers = d
        }
        if case .choices(let y) = targets { a.choices = input.batch / y.count }
        try model.forward(input, into: a, dropout: given ?? drawMasks(batch: input.batch, seq: input.seq), packedWeights: false)
        let loss = model.loss(a, d, targets: targets, problem: problem)
        let grads = gradients.base
        parallelFor(gradients.count, grain: 1 << 20) { r in (grads + r.lowerBound).update(repeating: 0, count: r.count) }
        model.backward(a, d, into: gradients)
        return (loss, headOutputs(a, d))
    }

    /// A copy of the head's output (StepResult.logits).
    private func headOutputs(_ a: ActivationBuffers, _ d: GradientBuffers) -> [Float] {
        func copy(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: p, count: n)) }
        let c = model.config, t = a.batch * a.seq
        switch model.head {
        case .sequenceClassification: return copy(a.logits!, a.batch * c.numLabels)
        case .multipleChoice: return copy(a.logits!, a.batch)
        case .tokenClassification: return copy(a.logits!, t * c.numLabels)
        case .questionAnswering: return copy(a.logits!, t * 2)
        case .replacedTokenDetection: return copy(a.logits!, t)
        case .nextSentence: return copy(a.nextSentenceLogits!, a.batch * 2)
        case .maskedLM, .preTraining: return copy(d.maskedLM!.logits, d.maskedLM!.rows * c.vocabSize)
        case .none: return []
        }
    }

    /// This step's masks, in buffers sized once per shape; nil when dropout is off.
    private func drawMasks(batch: Int, seq: Int) -> DropoutMasks? {
        guard !dropout.isOff else { return nil }
        if masks?.batch != batch || masks?.seq != seq {
            masks = nil
            masks = DropoutMasks(config: model.config, batch: batch, seq: seq, rates: dropout, head: model.head)
        }
        masks!.draw(seed: seed, step: optimizer.step)
        return masks
    }

    /// One training step. The update is skipped (and the result's loss is NaN) when the loss is not finite.
    public func step(_ input: BertInput, targets: TrainingTargets) throws -> StepResult {
        let (loss, logits) = try lossAndGradients(input, targets: targets)
        let grads = UnsafeMutableBufferPointer(start: gradients.base, count: gradients.count)
        let params = UnsafeMutableBufferPointer(start: model.parameters.base, count: model.parameters.count)
        let lr = optimizer.settings.learningRate * schedule.multiplier(step: optimizer.step)
        guard loss.isFinite else {
            return StepResult(loss: .nan, gradientNorm: gradientNorm(UnsafeBufferPointer(grads)), learningRate: lr, logits: logits)
        }
        let norm: Float
        if let clipNorm {
            norm = clipGradientNorm(grads, maxNorm: clipNorm)
            optimizer.update(params: params, grads: UnsafeBufferPointer(grads), lr: lr, frozen: frozenRanges)
        } else {
            // Without clipping the norm is only reported: read it in the update's pass.
            norm = optimizer.updateReturningGradientNorm(params: params, grads: UnsafeBufferPointer(grads), lr: lr,
                                                        frozen: frozenRanges)
        }
        model.parameters.didChange()
        return StepResult(loss: loss, gradientNorm: norm, learningRate: lr, logits: logits)
    }
}
