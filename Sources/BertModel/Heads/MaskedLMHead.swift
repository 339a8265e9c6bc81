import BertFormats

// transformers modeling_bert.py, BertLMPredictionHead: transform (dense → hidden_act → LayerNorm
// with the config's eps), then `decoder`, a Linear to the vocabulary whose weight is the word
// embeddings and whose bias is `cls.predictions.bias` when tied (`_tied_weights_keys`).

/// Typed views of the MLM head, the decoder resolved through the tie.
struct MaskedLMHead {
    let transformWeight, transformBias, normWeight, normBias: UnsafeMutablePointer<Float>
    let decoderWeight, decoderBias: UnsafeMutablePointer<Float>
    let activation: HiddenActivation
    let eps: Float
    let hidden: Int
    let vocabulary: Int

    init(_ p: ParameterStore, config c: BertConfig, tied: Bool) {
        transformWeight = p[.head(.mlmTransformWeight)]
        transformBias = p[.head(.mlmTransformBias)]
        normWeight = p[.head(.mlmNormWeight)]
        normBias = p[.head(.mlmNormBias)]
        decoderWeight = tied ? p[.embeddings(.word)] : p[.head(.mlmDecoderWeight)]
        decoderBias = tied ? p[.head(.mlmBias)] : p[.head(.mlmDecoderBias)]
        activation = c.hiddenAct
        eps = Float(c.layerNormEps)
        hidden = c.hiddenSize
        vocabulary = c.vocabSize
    }

    /// logits[N, V] for the N rows of hidden[N, H] (gathered first when only some positions are
    /// needed: the decoder is the largest GEMM of a small model).
    func forward(logits: UnsafeMutablePointer<Float>, hidden inp: UnsafePointer<Float>, rows n: Int) {
        let h = hidden
        let t = UnsafeMutablePointer<Float>.allocate(capacity: max(n * h, 1))
        defer { t.deallocate() }
        linearBiasRows(out: t, bias: transformBias, rows: 0..<n, cols: h)
        linearAccumulate(out: t, inp: inp, weight: transformWeight, rows: n, inFeatures: h, outFeatures: h)
        parallelFor(n, grain: 8) { rows in
            activationForward(activation, out: t + rows.lowerBound * h, inp: t + rows.lowerBound * h, range: 0..<rows.count * h)
            layerNormForward(out: t, mean: nil, rstd: nil, inp: t, weight: normWeight, bias: normBias, rows: rows, cols: h, eps: eps)
            linearBiasRows(out: logits, bias: decoderBias, rows: rows, cols: vocabulary)
        }
        linearAccumulate(out: logits, inp: t, weight: decoderWeight, rows: n, inFeatures: h, outFeatures: vocabulary)
    }
}

extension BertModel {
    /// Masked-LM logits, [tokens.count, V], at flat token indices (row · seq + position) of the last
    /// forward into `a`: only those rows go through the head (fill-mask needs the mask positions).
    public func maskedLMLogits(_ a: ActivationBuffers, tokens: [Int]) -> [Float] {
        precondition(head.hasMaskedLM, "the model has no masked-LM head")
        let h = config.hiddenSize, v = config.vocabSize, n = tokens.count
        let last = UnsafePointer(a.layers.last?.output ?? a.embeddings)
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
