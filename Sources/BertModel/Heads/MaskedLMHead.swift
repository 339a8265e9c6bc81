import BertFormats

// transformers modeling_bert.py, BertLMPredictionHead: transform (dense → hidden_act → LayerNorm
// with the config's eps), then `decoder`, a Linear to the vocabulary whose weight is the word
// embeddings and whose bias is `cls.predictions.bias` when tied (`_tied_weights_keys`).
// modeling_roberta.py, RobertaLMHead (`lm_head`, XLM-R's the same): the same products, but the
// activation is always the exact `gelu` (MaskedLMLayout.activation), whatever hidden_act says.
// modeling_electra.py, ElectraGeneratorPredictions + `generator_lm_head`: dense hidden → embedding_size,
// exact gelu, LayerNorm(embedding_size), then embedding_size → vocab (MaskedLMLayout.width), its
// weight tied to the word embeddings and its one bias `generator_lm_head.bias` (sharedBias).

/// Typed views of the MLM head, the decoder resolved through the tie.
struct MaskedLMHead {
    let transformWeight, transformBias, normWeight, normBias: UnsafeMutablePointer<Float>
    let decoderWeight, decoderBias: UnsafeMutablePointer<Float>
    let activation: HiddenActivation
    let eps: Float
    let hidden: Int
    /// The transform's output width: hidden_size, or embedding_size (ELECTRA's generator_predictions).
    let width: Int
    let vocabulary: Int

    init(_ p: ParameterStore, config c: BertConfig, tied: Bool) {
        transformWeight = p[.head(.mlmTransformWeight)]
        transformBias = p[.head(.mlmTransformBias)]
        normWeight = p[.head(.mlmNormWeight)]
        normBias = p[.head(.mlmNormBias)]
        decoderWeight = tied ? p[.embeddings(.word)] : p[.head(.mlmDecoderWeight)]
        decoderBias = tied || c.family.maskedLM.sharedBias ? p[.head(.mlmBias)] : p[.head(.mlmDecoderBias)]
        activation = c.family.maskedLM.activation ?? c.hiddenAct
        eps = Float(c.layerNormEps)
        hidden = c.hiddenSize
        width = c.maskedLMWidth
        vocabulary = c.vocabSize
    }

    /// logits[N, V] for the N rows of hidden[N, H] (gathered first when only some positions are
    /// needed: the decoder is the largest GEMM of a small model).
    func forward(logits: UnsafeMutablePointer<Float>, hidden inp: UnsafePointer<Float>, rows n: Int) {
        let h = hidden, w = width
        let t = UnsafeMutablePointer<Float>.allocate(capacity: max(n * w, 1))
        defer { t.deallocate() }
        linearBiasRows(out: t, bias: transformBias, rows: 0..<n, cols: w)
        linearAccumulate(out: t, inp: inp, weight: transformWeight, rows: n, inFeatures: h, outFeatures: w)
        parallelFor(n, grain: 8) { rows in
            activationForward(activation, out: t + rows.lowerBound * w, inp: t + rows.lowerBound * w, range: 0..<rows.count * w)
            layerNormForward(out: t, mean: nil, rstd: nil, inp: t, weight: normWeight, bias: normBias, rows: rows, cols: w, eps: eps)
            linearBiasRows(out: logits, bias: decoderBias, rows: rows, cols: vocabulary)
        }
        linearAccumulate(out: logits, inp: t, weight: decoderWeight, rows: n, inFeatures: w, outFeatures: vocabulary)
    }
}

extension BertModel {
    /// Masked-LM logits, [tokens.count, V], at flat token indices (row · seq + position) of the last
    /// forward into `a`: only those rows go through the head (fill-mask needs the mask positions).
    public func maskedLMLogits(_ a: ActivationBuffers, tokens: [Int]) -> [Float] {
        precondition(head.hasMaskedLM, "the model has no masked-LM head")
        let h = config.hiddenSize, v = config.vocabSize, n = tokens.count
        let last = UnsafePointer(a.layers.last?.output ?? a.encoderInput)
        let gathered = UnsafeMutablePointer<Float>.allocate(capacity: max(n * h, 1))
        defer { gathered.deallocate() }
        for (k, i) in tokens.enumerated() {
            precondition(i >= 0 && i < a.batch * a.seq, "token index \(i) outside the batch")
            gathered.advanced(by: k * h).update(from: last + i * h, count: h)
        }
        var out = [Float](repeating: 0, count: n * v)
        out.withUnsafeMutableBufferPointer { o in
            MaskedLMHead(parameters, config: config, tied: architecture.tiedDecoder)
                .forward(logits: o.baseAddress!, hidden: gathered, rows: n)
        }
        return out
    }
}

// Training: the head runs only at the N positions that have a label (all the loss reads), keeping
// what its backward needs. Backward, in reverse: decoder (its weight gradient goes to the word
// embeddings when tied, with the bias's to `cls.predictions.bias`; untied, to the decoder's own),
// LayerNorm, hidden_act, transform dense, then each position's gradient into the hidden state's.

/// The head's activations at the labelled positions of one batch and its logits' gradient, in one
/// allocation grown when a batch has more positions than any before.
final class MaskedLMBuffers: @unchecked Sendable {
    let hidden: Int
    /// The transform's output width (MaskedLMHead.width).
    let width: Int
    let vocabulary: Int
    /// Flat token indices (row · seq + position) the head ran at, in order.
    private(set) var positions: [Int] = []
    private var capacity = 0
    private var base: UnsafeMutablePointer<Float>?
    /// [N, H] the last hidden state at `positions`; its gradient after the backward.
    private(set) var gathered: UnsafeMutablePointer<Float>!
    /// [N, W] transform dense + bias (hidden_act's input), and hidden_act's output (LayerNorm's input).
    private(set) var transformPre: UnsafeMutablePointer<Float>!
    private(set) var transformAct: UnsafeMutablePointer<Float>!
    /// [N] the LayerNorm's mean and 1/std; [N, W] its output (the decoder's input).
    private(set) var mean: UnsafeMutablePointer<Float>!
    private(set) var rstd: UnsafeMutablePointer<Float>!
    private(set) var normed: UnsafeMutablePointer<Float>!
    /// [N, W] gradients of the decoder's input and of hidden_act's output, then its input.
    private(set) var dnormed: UnsafeMutablePointer<Float>!
    private(set) var dtransform: UnsafeMutablePointer<Float>!
    /// [N, H] the gradient of `gathered`.
    private(set) var dgathered: UnsafeMutablePointer<Float>!
    /// [N, V] the logits, and their gradient (the loss writes it).
    private(set) var logits: UnsafeMutablePointer<Float>!
    private(set) var dlogits: UnsafeMutablePointer<Float>!

    init(hidden: Int, width: Int, vocabulary: Int) {
        self.hidden = hidden
        self.width = width
        self.vocabulary = vocabulary
    }

    deinit { base?.deallocate() }

    var rows: Int { positions.count }
    var byteCount: Int { capacity * (2 * hidden + 5 * width + 2 + 2 * vocabulary) * 4 }

    /// Room for `positions`.
    func reset(positions p: [Int]) {
        positions = p
        let n = max(p.count, 1)
        guard n > capacity else { return }
        base?.deallocate()
        let h = hidden, w = width, per = 2 * h + 5 * w + 2 + 2 * vocabulary
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * per)
        b.initialize(repeating: 0, count: n * per)
        base = b
        capacity = n
        gathered = b; dgathered = b + n * h
        transformPre = b + 2 * n * h; transformAct = transformPre + n * w; normed = transformAct + n * w
        dnormed = normed + n * w; dtransform = dnormed + n * w; mean = dtransform + n * w; rstd = mean + n; logits = rstd + n; dlogits = logits + n * vocabulary
    }
}

extension MaskedLMHead {
    /// logits[N, V] at `m.positions` of last[T, H], keeping the activations in `m`. The same
    /// products as `forward`, which overwrites them in place.
    func trainingForward(_ m: MaskedLMBuffers, last: UnsafePointer<Float>) {
        let h = hidden, w = width, n = m.rows
        for (k, i) in m.positions.enumerated() { m.gathered.advanced(by: k * h).update(from: last + i * h, count: h) }
        linearBiasRows(out: m.transformPre, bias: transformBias, rows: 0..<n, cols: w)
        linearAccumulate(out: m.transformPre, inp: m.gathered, weight: transformWeight, rows: n, inFeatures: h, outFeatures: w)
        parallelFor(n, grain: 8) { rows in
            activationForward(activation, out: m.transformAct + rows.lowerBound * w, inp: m.transformPre + rows.lowerBound * w,
                              range: 0..<rows.count * w)
            layerNormForward(out: m.normed, mean: m.mean, rstd: m.rstd, inp: m.transformAct, weight: normWeight, bias: normBias,
                             rows: rows, cols: w, eps: eps)
            linearBiasRows(out: m.logits, bias: decoderBias, rows: rows, cols: vocabulary)
        }
        linearAccumulate(out: m.logits, inp: m.normed, weight: decoderWeight, rows: n, inFeatures: w, outFeatures: vocabulary)
    }

    /// From dlogits[N, V] (`m.dlogits`), adds the head's parameter gradients into `g` (whose views
    /// `grads` are, tie resolved as for the parameters) and each position's hidden-state gradient
    /// into dlast[T, H].
    func backward(_ m: MaskedLMBuffers, grads: MaskedLMHead, dlast: UnsafeMutablePointer<Float>) {
        let h = hidden, w = width, n = m.rows
        guard n > 0 else { return }
        // decoder: dnormed = dlogits · W; dW += dlogitsᵀ · normed; dbias += Σ dlogits.
        linearBackward(dinp: m.dnormed, overwrite: true, dweight: grads.decoderWeight, dbias: grads.decoderBias, dout: m.dlogits,
                       inp: m.normed, weight: decoderWeight, rows: n, inFeatures: w, outFeatures: vocabulary)
        // LayerNorm, then hidden_act in place, then the transform dense.
        layerNormBackward(dinp: m.dtransform, dweight: grads.normWeight, dbias: grads.normBias, dout: m.dnormed,
                          inp: m.transformAct, mean: m.mean, rstd: m.rstd, weight: normWeight, rows: n, cols: w)
        parallelFor(n * w, grain: 4096) { range in
            activationBackward(activation, dinp: m.dtransform, dout: m.dtransform, inp: m.transformPre, range: range)
        }
        linearBackward(dinp: m.dgathered, overwrite: true, dweight: grads.transformWeight, dbias: grads.transformBias,
                       dout: m.dtransform, inp: m.gathered, weight: transformWeight, rows: n, inFeatures: h, outFeatures: w)
        for (k, i) in m.positions.enumerated() {
            let d = dlast + i * h, s = m.dgathered + k * h
            for j in 0..<h { d[j] += s[j] }
        }
    }
}
