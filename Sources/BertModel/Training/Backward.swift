import CBertKit
import BertFormats
import BertTensors

// The backward of `BertModel.forward` (llm.c's gpt2_backward order): loss gradient → head
// (Heads/) → pooler → layers in reverse → embeddings. Each op's backward sits beside its forward
// in Ops/ and Heads/.
// Parameter gradients are ADDED into a ParameterStore laid out like the parameters, so the
// optimizer runs over one flat buffer (zero it between steps).

/// Gradient scratch for one (batch, seq) shape, one allocation.
public final class GradientBuffers: @unchecked Sendable {
    public let batch: Int
    public let seq: Int
    private let base: UnsafeMutablePointer<Float>
    /// [T, H] gradient of the current layer's output (then of its input).
    let residual: UnsafeMutablePointer<Float>
    /// [T, H] a LayerNorm input's gradient.
    let sum: UnsafeMutablePointer<Float>
    /// [T, H] the attention context's gradient.
    let context: UnsafeMutablePointer<Float>
    /// [T, I] the intermediate activation's gradient.
    let intermediate: UnsafeMutablePointer<Float>
    /// [T, 3H]
    let qkv: UnsafeMutablePointer<Float>
    /// [B, H] pooled output and pre-tanh gradients.
    let pooled: UnsafeMutablePointer<Float>
    let poolerPre: UnsafeMutablePointer<Float>
    /// [B, H] a classification head's dense gradient (ClassificationHead.backward).
    let classifierScratch: UnsafeMutablePointer<Float>
    /// The gradient of the head's `logits` (ActivationBuffers.logits, the same shape): [B, L]
    /// sequence classification, [B, 1] multiple choice, [T, L] token classification, [T, 2] QA.
    public let logits: UnsafeMutablePointer<Float>
    /// [B, 2] the next-sentence logits' gradient (NSP and pre-training heads).
    public let nextSentence: UnsafeMutablePointer<Float>?
    /// The masked-LM head at the labelled positions (MLM and pre-training heads): its activations
    /// and its logits' gradient. The loss picks the positions.
    let maskedLM: MaskedLMBuffers?
    private let count: Int
    /// The attention backward kernel's per-worker scratch.
    let attentionScratch: WorkerScratch
    /// [B, heads, S, S] one layer's score gradient, for MPNet's relative position bias.
    let positionBias: UnsafeMutablePointer<Float>?

    public init(config c: BertConfig, batch: Int, seq: Int, head: HeadKind = .sequenceClassification) {
        self.batch = batch
        self.seq = seq
        let t = batch * seq, h = c.hiddenSize, wide = max(h, c.embeddingSize)
        let logitsCount = switch head {
        case .sequenceClassification: batch * max(c.numLabels, 1)
        case .multipleChoice: batch
        case .tokenClassification: t * max(c.numLabels, 1)
        case .questionAnswering: t * 2
        case .replacedTokenDetection: t
        case .none, .preTraining, .maskedLM, .nextSentence: 1
        }
        // A classification head's dense output gradient: one row per classifier input row.
        let classifierRows = c.family.layout(head).classifier?.input == .everyToken ? t : batch
        // residual and sum also carry the embeddings' [T, E] gradients.
        let sizes = [t * wide, t * wide, t * h, t * c.intermediateSize, t * 3 * h, batch * h, batch * h, logitsCount,
                     head.hasNextSentence ? batch * 2 : 0, classifierRows * h,
                     c.family.relativeAttention != nil ? batch * c.numAttentionHeads * seq * seq : 0]
        let rounded = sizes.map { ($0 + 15) & ~15 }
        count = rounded.reduce(0, +)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: count)
        base.initialize(repeating: 0, count: count)
        var at = 0
        var views: [UnsafeMutablePointer<Float>] = []
        for r in rounded { views.append(base + at); at += r }
        residual = views[0]; sum = views[1]; context = views[2]; intermediate = views[3]; qkv = views[4]
        pooled = views[5]; poolerPre = views[6]; logits = views[7]
        nextSentence = head.hasNextSentence ? views[8] : nil
        classifierScratch = views[9]
        positionBias = c.family.relativeAttention != nil ? views[10] : nil
        maskedLM = head.hasMaskedLM ? MaskedLMBuffers(hidden: h, width: c.maskedLMWidth, vocabulary: c.vocabSize) : nil
        attentionScratch = WorkerScratch(floatsPerWorker: Int(bk_attention_backward_scratch_floats(Int32(seq), Int32(c.headSize))))
    }

    deinit { base.deallocate() }

    public var byteCount: Int { count * 4 + attentionScratch.byteCount + (maskedLM?.byteCount ?? 0) }
}

extension BertModel {
    /// Adds the gradients of the loss whose head-output gradients are in `d` (`logits`,
    /// `nextSentence`, the masked-LM logits: what the loss wrote) into `g`, from the activations the
    /// last `forward(_:into:)` left in `a` (made with keepEveryLayer).
    public func backward(_ a: ActivationBuffers, _ d: GradientBuffers, into g: ParameterStore) {
        precondition(a.keepEveryLayer && a.batch == d.batch && a.seq == d.seq, "backward needs this shape's kept activations")
        guard let input = a.input else { preconditionFailure("backward needs a forward") }
        let c = config, p = parameters
        let s = a.seq, b = a.batch, t = b * s, h = c.hiddenSize, inter = c.intermediateSize
        let last = a.layers.last?.output ?? a.encoderInput

        // Heads: the last hidden state's gradient into d.residual, the pooled output's into d.pooled
        // (then through the pooler into the first token of each row).
        d.residual.update(repeating: 0, count: t * h)
        if headBackward(a, d, into: g), let pooled = a.pooler {
            poolerBackward(dhidden: d.residual, dweight: g[.pooler(.weight)], dbias: g[.pooler(.bias)], dout: d.pooled,
                           out: pooled, hidden: last, weight: p[.pooler(.weight)], dpre: d.poolerPre, batch: b, seq: s,
                           features: h)
        }
        let drop = a.dropout

        input.attentionMask.withUnsafeBufferPointer { mask in
            for l in stride(from: c.appliedLayers - 1, through: 0, by: -1) {
                // A stored layer applied several times (ALBERT) gets each application's gradient added.
                let stored = c.storedLayer(forLayer: l)
                let la = a.layers[l], w = LayerWeights(p, layer: stored), gw = LayerWeights(g, layer: stored)
                let x = l == 0 ? a.encoderInput : a.layers[l - 1].output
                // BertOutput: LayerNorm (its input gradient to the dense and, as a copy, to the residual),
                // then dense + residual.
                layerNormBackward(dinp: d.sum, dinpCopy: d.residual, dweight: gw.outNormWeight, dbias: gw.outNormBias,
                                  dout: d.residual, inp: la.outputSum, mean: la.outputMean, rstd: la.outputRstd,
                                  weight: w.outNormWeight, rows: t, cols: h)
                dropoutBackward(d.sum, drop, .output(layer: l), rows: t, cols: h)
                linearBackward(dinp: d.intermediate, overwrite: true, dweight: gw.outWeight, dbias: gw.outBias, dout: d.sum,
                               inp: la.intermediate, weight: w.outWeight, rows: t, inFeatures: inter, outFeatures: h)
                // BertIntermediate
                parallelFor(t * inter, grain: 4096) { range in
                    activationBackward(c.hiddenAct, dinp: d.intermediate, dout: d.intermediate, inp: la.intermediatePre,
                                       range: range)
                }
                linearBackward(dinp: d.residual, dweight: gw.interWeight, dbias: gw.interBias, dout: d.intermediate,
                               inp: la.attention, weight: w.interWeight, rows: t, inFeatures: h, outFeatures: inter)
                // BertSelfOutput: LayerNorm, then dense + residual.
                layerNormBackward(dinp: d.sum, dinpCopy: d.residual, dweight: gw.attnNormWeight, dbias: gw.attnNormBias,
                                  dout: d.residual, inp: la.attentionSum, mean: la.attentionMean, rstd: la.attentionRstd,
                                  weight: w.attnNormWeight, rows: t, cols: h)
                dropoutBackward(d.sum, drop, .attentionOutput(layer: l), rows: t, cols: h)
                linearBackward(dinp: d.context, overwrite: true, dweight: gw.attnOutWeight, dbias: gw.attnOutBias, dout: d.sum,
                               inp: la.context, weight: w.attnOutWeight, rows: t, inFeatures: h, outFeatures: h)
                // BertSelfAttention, then the fused Q/K/V dense.
                attentionBackward(dqkv: d.qkv, dcontext: d.context, probs: la.probs!, qkv: la.qkv, mask: mask.baseAddress!,
                                  keys: a.keys, batch: b, seq: s, hidden: h, heads: c.numAttentionHeads,
                                  scratch: d.attentionScratch, dbias: d.positionBias,
                                  dropout: drop?.apply(.attentionProbs(layer: l)))
                if let rule = c.family.relativeAttention, let dbias = d.positionBias {
                    relativePositionBiasBackward(dtable: g[.relativeAttentionBias], dbias: dbias, rule: rule, batch: b, seq: s,
                                                 heads: c.numAttentionHeads)
                }
                linearBackward(dinp: d.residual, dweight: gw.qkvWeight, dbias: nil, dout: d.qkv, inp: x,
                               weight: w.qkvWeight, rows: t, inFeatures: h, outFeatures: 3 * h)
                // Query and value biases only. The key bias adds q·b_k to every score of a query, and
                // softmax is shift-invariant, so its gradient is exactly 0; summing dK would give
                // rounding noise (~1e-8) that Adam's m/√v normalises into updates of ±lr per step.
                columnSums(into: gw.qkvBias, d.qkv, rows: t, cols: h, stride: 3 * h)
                columnSums(into: gw.qkvBias + 2 * h, d.qkv + 2 * h, rows: t, cols: h, stride: 3 * h)
            }
        }
        // ELECTRA's embeddings_project, then BertEmbeddings (E wide): dropout, LayerNorm, then scatter
        // into the rows used. `demb` is the embeddings' output gradient, `dsum` the LayerNorm input's.
        let e = c.embeddingSize
        var (demb, dsum) = (d.residual, d.sum)
        if c.projectsEmbeddings {
            linearBackward(dinp: d.sum, overwrite: true, dweight: g[.embeddingsProjection(.weight)],
                           dbias: g[.embeddingsProjection(.bias)], dout: d.residual, inp: a.embeddings,
                           weight: p[.embeddingsProjection(.weight)], rows: t, inFeatures: e, outFeatures: h)
            (demb, dsum) = (d.sum, d.residual)
        }
        dropoutBackward(demb, drop, .embeddings, rows: t, cols: e)
        layerNormBackward(dinp: dsum, dweight: g[.embeddings(.normWeight)], dbias: g[.embeddings(.normBias)],
                          dout: demb, inp: a.embeddingsSum, mean: a.embeddingsMean, rstd: a.embeddingsRstd,
                          weight: p[.embeddings(.normWeight)], rows: t, cols: e)
        // RobertaEmbeddings' position table has padding_idx = pad_token_id too; BERT's has none.
        let paddingPosition = c.family.embeddings.positions == .fromPaddingMask ? c.padTokenId : nil
        let dtype = c.family.embeddings.tokenTypes ? g[.embeddings(.tokenType)] : nil
        input.inputIds.withUnsafeBufferPointer { ids in
            input.tokenTypeIds.withUnsafeBufferPointer { types in
                input.positionIds.withUnsafeBufferPointer { positions in
                    embeddingsBackward(dword: g[.embeddings(.word)], dposition: g[.embeddings(.position)],
                                       dtype: dtype, dout: dsum, ids: ids.baseAddress!,
                                       types: types.baseAddress!, positions: positions.baseAddress!, tokens: t, hidden: e,
                                       paddingId: c.padTokenId, paddingPosition: paddingPosition)
                }
            }
        }
    }

    /// The head's backward (Heads/): adds its parameters' gradients into `g` and the last hidden
    /// state's gradient into d.residual; returns whether it wrote d.pooled (heads on the pooled output).
    private func headBackward(_ a: ActivationBuffers, _ d: GradientBuffers, into g: ParameterStore) -> Bool {
        let c = config, p = parameters, h = c.hiddenSize, b = a.batch, t = b * a.seq
        let last = UnsafePointer(a.layers.last?.output ?? a.embeddings)
        let drop = a.dropout
        var pooledUsed = false
        if let layout = architecture.family.layout(head).classifier {
            let classifier = ClassificationHead(p, layout: layout, hiddenAct: c.hiddenAct)
            let grads = ClassificationHead(g, layout: layout, hiddenAct: c.hiddenAct)
            switch layout.input {
            case .pooled:
                // Into d.pooled, then through the pooler (the caller).
                guard let pooled = a.pooler else { preconditionFailure("the classifier reads the pooled output") }
                classifier.backward(dinp: d.pooled, grads: grads, dlogits: d.logits, inp: pooled, densePre: a.classifierDensePre,
                                    denseOut: a.classifierDense, scratch: d.classifierScratch, rows: b, features: h, masks: drop)
                pooledUsed = true
            case .firstToken:
                // Into scratch, then each row's first token (nothing else adds to d.residual yet).
                guard let tokens = a.classifierTokens else { preconditionFailure("no first tokens kept") }
                classifier.backward(dinp: d.sum, grads: grads, dlogits: d.logits, inp: tokens, densePre: a.classifierDensePre,
                                    denseOut: a.classifierDense, scratch: d.classifierScratch, rows: b, features: h, masks: drop)
                for r in 0..<b { (d.residual + r * a.seq * h).update(from: d.sum + r * h, count: h) }
            case .everyToken:
                classifier.backward(dinp: d.residual, grads: grads, dlogits: d.logits, inp: last, densePre: a.classifierDensePre,
                                    denseOut: a.classifierDense, scratch: d.classifierScratch, rows: t, features: h, masks: drop)
            }
        }
        if head == .questionAnswering {
            // Through DistilBERT's `qa_dropout` when it had a mask (d.residual holds only this head's gradient).
            let dropped = drop?.mask(.classifier) != nil
            LinearHead.questionAnswering(p).backward(dinp: d.residual, grads: .questionAnswering(g), dout: d.logits,
                                                     inp: dropped ? UnsafePointer(drop!.classifierInput) : last, rows: t, features: h)
            dropoutBackward(d.residual, drop, .classifier, rows: t, cols: h)
        }
        if let m = d.maskedLM, head.hasMaskedLM {
            let tied = architecture.tiedDecoder
            MaskedLMHead(p, config: c, tied: tied).backward(m, grads: MaskedLMHead(g, config: c, tied: tied), dlast: d.residual)
        }
        if let dnsp = d.nextSentence, let pooled = a.pooler, head.hasNextSentence {
            d.pooled.update(repeating: 0, count: b * h)
            LinearHead.nextSentence(p).backward(dinp: d.pooled, grads: .nextSentence(g), dout: dnsp, inp: pooled, rows: b,
                                                features: h)
            pooledUsed = true
        }
        return pooledUsed
    }

    /// grad ⊙ mask · scale in place, when `site` had a mask.
    private func dropoutBackward(_ grad: UnsafeMutablePointer<Float>, _ masks: DropoutMasks?, _ site: DropoutSite, rows: Int,
                                 cols: Int) {
        guard let (m, scale) = masks?.apply(site) else { return }
        parallelFor(rows, grain: 8) { r in dropoutRows(out: grad, grad, mask: m, scale: scale, rows: r, cols: cols) }
    }
}
