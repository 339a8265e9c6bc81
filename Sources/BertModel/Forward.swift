import BertFormats
import BertTensors

// transformers models/bert/modeling_bert.py: BertModel.forward (BertEmbeddings → BertLayer × L →
// BertPooler), the head (Heads/), then sentence-transformers pooling. Every family runs this code:
// RoBERTa and XLM-R (modeling_roberta.py, modeling_xlm_roberta.py) differ only in the position ids
// (BertInput.positionIds) and the heads' layout (EncoderFamily, ClassificationHead, MaskedLMHead);
// MPNet (modeling_mpnet.py) has no token types and adds a relative position bias to every layer's
// scores (RelativePositionBias.swift); ALBERT (modeling_albert.py) projects its embeddings as ELECTRA
// does and applies shared stored layers (BertConfig.storedLayer).
// Each op lives in Ops/; this file only sequences them. Work between the GEMMs runs on
// `ComputeThreads.count` workers, several ops per pass over rows so each row is touched while hot.

extension BertModel {
    /// Weight views of stored layer `l` (Q, K and V fused, see ParameterLayout).
    struct LayerWeights {
        let qkvWeight, qkvBias, attnOutWeight, attnOutBias, attnNormWeight, attnNormBias: UnsafeMutablePointer<Float>
        let interWeight, interBias, outWeight, outBias, outNormWeight, outNormBias: UnsafeMutablePointer<Float>

        init(_ p: ParameterStore, layer l: Int) {
            qkvWeight = p[.layer(l, .queryWeight)]
            qkvBias = p[.layer(l, .queryBias)]
            attnOutWeight = p[.layer(l, .attentionOutputWeight)]
            attnOutBias = p[.layer(l, .attentionOutputBias)]
            attnNormWeight = p[.layer(l, .attentionNormWeight)]
            attnNormBias = p[.layer(l, .attentionNormBias)]
            interWeight = p[.layer(l, .intermediateWeight)]
            interBias = p[.layer(l, .intermediateBias)]
            outWeight = p[.layer(l, .outputWeight)]
            outBias = p[.layer(l, .outputBias)]
            outNormWeight = p[.layer(l, .outputNormWeight)]
            outNormBias = p[.layer(l, .outputNormBias)]
        }
    }

    /// Runs the whole forward on `input`, writing every activation into `a`. With `dropout` (training)
    /// its masks apply and stay with `a` for the backward; without, every dropout is the identity.
    /// `packedWeights` lets forwards of at most `PackedWeight.maxRows` rows run the encoder's GEMMs on
    /// weights packed once (PackedLinear.swift); training passes false, since each step changes them.
    public func forward(_ input: BertInput, into a: ActivationBuffers, dropout: DropoutMasks? = nil,
                        packedWeights: Bool = true) throws {
        precondition(a.batch == input.batch && a.seq == input.seq, "buffers are for another shape")
        precondition(dropout.map { $0.batch == input.batch && $0.seq == input.seq && a.keepEveryLayer } ?? true,
                     "dropout masks are for training buffers of this shape")
        guard input.seq <= config.maxSequenceLength else { throw ModelError.sequenceTooLong(config, length: input.seq) }
        try BLAS.load()
        a.input = input
        a.dropout = dropout
        a.keys = (0..<input.batch).map { input.keys(row: $0) }
        let c = config, p = parameters
        let s = input.seq, t = input.batch * s, h = c.hiddenSize, inter = c.intermediateSize
        let eps = Float(c.layerNormEps)
        // Applied layer l reads stored layer c.storedLayer(forLayer: l) (ALBERT's shared groups; l elsewhere).
        let weights = (0..<c.appliedLayers).map { LayerWeights(p, layer: c.storedLayer(forLayer: $0)) }
        let packed = packedWeights && t <= PackedWeight.maxRows ? packedLinears().layers : nil
        let grain = 8
        var clock = ForwardProfile.Clock()

        // Embeddings (E = embedding_size wide), then layer 0's bias (and residual) rows; with ELECTRA's
        // `embeddings_project` (modeling_electra.py, ElectraModel.forward) those rows come after its GEMM.
        let e = c.embeddingSize, project = c.projectsEmbeddings
        let word = p[.embeddings(.word)], position = p[.embeddings(.position)]
        let type = c.family.embeddings.tokenTypes ? p[.embeddings(.tokenType)] : nil
        let embNormW = p[.embeddings(.normWeight)], embNormB = p[.embeddings(.normBias)]
        let embDrop = dropout?.apply(.embeddings)
        input.inputIds.withUnsafeBufferPointer { ids in
          input.tokenTypeIds.withUnsafeBufferPointer { types in
            input.positionIds.withUnsafeBufferPointer { positions in
                parallelFor(t, grain: grain) { rows in
                    embeddingsForward(out: a.embeddingsSum, ids: ids.baseAddress!, types: types.baseAddress!,
                                      positions: positions.baseAddress!, word: word, position: position, type: type, rows: rows,
                                      hidden: e)
                    layerNormForward(out: a.embeddings, mean: a.embeddingsMean, rstd: a.embeddingsRstd, inp: a.embeddingsSum,
                                     weight: embNormW, bias: embNormB, rows: rows, cols: e, eps: eps)
                    if let (m, scale) = embDrop {
                        dropoutRows(out: a.embeddings, a.embeddings, mask: m, scale: scale, rows: rows, cols: e)
                    }
                    if !project, let l0 = a.layers.first, let w0 = weights.first {
                        layerInputRows(l0, w0, residual: a.embeddings, rows: rows, hidden: h, dropout: dropout, layer: 0)
                    }
                }
            }
          }
        }
        if project {
            linearBiasRows(out: a.encoderInput, bias: p[.embeddingsProjection(.bias)], rows: 0..<t, cols: h)
            linearAccumulate(out: a.encoderInput, inp: a.embeddings, weight: p[.embeddingsProjection(.weight)], rows: t,
                             inFeatures: e, outFeatures: h)
            if let l0 = a.layers.first, let w0 = weights.first {
                parallelFor(t, grain: grain) { rows in
                    layerInputRows(l0, w0, residual: a.encoderInput, rows: rows, hidden: h, dropout: dropout, layer: 0)
                }
            }
        }
        // MPNetEncoder.compute_position_bias: once, for every layer.
        if let rule = c.family.relativeAttention, let bias = a.positionBias {
            relativePositionBiasForward(out: bias, table: p[.relativeAttentionBias], rule: rule, seq: s, heads: c.numAttentionHeads)
        }
        clock.lap(.embeddings)

        input.attentionMask.withUnsafeBufferPointer { mask in
            for l in 0..<c.appliedLayers {
                let x = l == 0 ? a.encoderInput : a.layers[l - 1].output
                let la = a.layers[l], w = weights[l]
                // BertSelfAttention
                let pw = packed?[c.storedLayer(forLayer: l)]
                if let pw { linearAccumulate(out: la.qkv, inp: x, packed: pw.qkv, rows: t) } else {
                    linearAccumulate(out: la.qkv, inp: x, weight: w.qkvWeight, rows: t, inFeatures: h, outFeatures: 3 * h)
                }
                clock.lap(.qkvGEMM)
                attentionForward(context: la.context, probs: la.probs, qkv: la.qkv, mask: mask.baseAddress!, keys: a.keys,
                                 batch: input.batch, seq: s, hidden: h, heads: c.numAttentionHeads,
                                 bias: a.positionBias.map { UnsafePointer($0) }, dropout: dropout?.apply(.attentionProbs(layer: l)),
                                 scratch: a.attentionScratch)
                clock.lap(.attention)
                // BertSelfOutput: dense + residual (rows written before) + LayerNorm
                if let pw { linearAccumulate(out: la.attentionSum, inp: la.context, packed: pw.attentionOutput, rows: t) } else {
                    linearAccumulate(out: la.attentionSum, inp: la.context, weight: w.attnOutWeight, rows: t, inFeatures: h,
                                     outFeatures: h)
                }
                clock.lap(.attentionOutputGEMM)
                let attnDrop = dropout?.apply(.attentionOutput(layer: l)), outDrop = dropout?.apply(.output(layer: l))
                parallelFor(t, grain: grain) { rows in
                    if let (m, scale) = attnDrop {
                        dropoutRows(out: la.attentionSum, la.attentionSum, mask: m, scale: scale, residual: x, rows: rows, cols: h)
                    }
                    layerNormForward(out: la.attention, mean: la.attentionMean, rstd: la.attentionRstd, inp: la.attentionSum,
                                     weight: w.attnNormWeight, bias: w.attnNormBias, rows: rows, cols: h, eps: eps)
                    linearBiasRows(out: la.intermediatePre, bias: w.interBias, rows: rows, cols: inter)
                    linearBiasRows(out: la.outputSum, bias: w.outBias, residual: outDrop == nil ? la.attention : nil, rows: rows,
                                   cols: h)
                }
                clock.lap(.attentionNorm)
                // BertIntermediate
                if let pw { linearAccumulate(out: la.intermediatePre, inp: la.attention, packed: pw.intermediate, rows: t) } else {
                    linearAccumulate(out: la.intermediatePre, inp: la.attention, weight: w.interWeight, rows: t, inFeatures: h,
                                     outFeatures: inter)
                }
                clock.lap(.intermediateGEMM)
                parallelFor(t * inter, grain: 4096) { range in
                    activationForward(c.hiddenAct, out: la.intermediate, inp: la.intermediatePre, range: range)
                }
                clock.lap(.activation)
                // BertOutput: dense + residual + LayerNorm, then the next layer's bias rows
                if let pw { linearAccumulate(out: la.outputSum, inp: la.intermediate, packed: pw.output, rows: t) } else {
                    linearAccumulate(out: la.outputSum, inp: la.intermediate, weight: w.outWeight, rows: t, inFeatures: inter,
                                     outFeatures: h)
                }
                clock.lap(.outputGEMM)
                let next = l + 1 < c.appliedLayers ? (a.layers[l + 1], weights[l + 1]) : nil
                parallelFor(t, grain: grain) { rows in
                    if let (m, scale) = outDrop {
                        dropoutRows(out: la.outputSum, la.outputSum, mask: m, scale: scale, residual: la.attention, rows: rows,
                                    cols: h)
                    }
                    layerNormForward(out: la.output, mean: la.outputMean, rstd: la.outputRstd, inp: la.outputSum,
                                     weight: w.outNormWeight, bias: w.outNormBias, rows: rows, cols: h, eps: eps)
                    if let (nl, nw) = next {
                        layerInputRows(nl, nw, residual: la.output, rows: rows, hidden: h, dropout: dropout, layer: l + 1)
                    }
                }
                clock.lap(.outputNorm)
            }
            heads(a, mask: mask.baseAddress!, dropout: dropout)
            clock.lap(.heads)
        }
    }

    /// A layer's bias rows for its two GEMMs that read the layer input: QKV (bias) and the
    /// attention output dense (bias + the input as residual; with dropout the residual is added
    /// after the GEMM, once the dense's output is dropped).
    private func layerInputRows(_ la: LayerActivations, _ w: LayerWeights, residual: UnsafePointer<Float>, rows: Range<Int>,
                                hidden h: Int, dropout: DropoutMasks?, layer l: Int) {
        linearBiasRows(out: la.qkv, bias: w.qkvBias, rows: rows, cols: 3 * h)
        let dropped = dropout?.mask(.attentionOutput(layer: l)) != nil
        linearBiasRows(out: la.attentionSum, bias: w.attnOutBias, residual: dropped ? nil : residual, rows: rows, cols: h)
    }

    /// The pooler, the head (HeadKind, laid out as the family says) and sentence pooling on the last
    /// hidden state.
    private func heads(_ a: ActivationBuffers, mask: UnsafePointer<UInt8>, dropout: DropoutMasks?) {
        let c = config, p = parameters, h = c.hiddenSize, t = a.batch * a.seq
        let last = a.layers.last?.output ?? a.encoderInput
        if let out = a.pooler {
            poolerForward(out: out, hidden: last, weight: p[.pooler(.weight)], bias: p[.pooler(.bias)],
                          batch: a.batch, seq: a.seq, features: h)
        }
        if let layout = architecture.family.layout(head).classifier, let logits = a.logits {
            let inp: UnsafePointer<Float>, rows: Int
            switch layout.input {
            case .pooled:
                guard let pooled = a.pooler else { preconditionFailure("the classifier reads the pooled output") }
                (inp, rows) = (UnsafePointer(pooled), a.batch)
            case .firstToken:
                guard let tokens = a.classifierTokens else { preconditionFailure("no buffer for the first tokens") }
                for r in 0..<a.batch { tokens.advanced(by: r * h).update(from: last + r * a.seq * h, count: h) }
                (inp, rows) = (UnsafePointer(tokens), a.batch)
            case .everyToken:
                (inp, rows) = (UnsafePointer(last), t)
            }
            ClassificationHead(p, layout: layout, hiddenAct: c.hiddenAct).forward(logits: logits, inp: inp, densePre: a.classifierDensePre,
                                                          denseOut: a.classifierDense, rows: rows, features: h, masks: dropout)
        }
        if head == .questionAnswering, let logits = a.logits, let start = a.startLogits, let end = a.endLogits {
            // DistilBertForQuestionAnswering drops every token first (`qa_dropout`); BERT's QA has no site.
            var inp = UnsafePointer(last)
            if let d = dropout, let (m, scale) = d.apply(.classifier) {
                parallelFor(t, grain: 8) { r in dropoutRows(out: d.classifierInput, last, mask: m, scale: scale, rows: r, cols: h) }
                inp = UnsafePointer(d.classifierInput)
            }
            LinearHead.questionAnswering(p).forward(out: logits, inp: inp, rows: t, features: h)
            for i in 0..<t { (start[i], end[i]) = (logits[2 * i], logits[2 * i + 1]) }
        }
        if let nsp = a.nextSentenceLogits, let pooled = a.pooler {
            LinearHead.nextSentence(p).forward(out: nsp, inp: pooled, rows: a.batch, features: h)
        }
        if let logits = a.predictionLogits {
            MaskedLMHead(p, config: c, tied: architecture.tiedDecoder).forward(logits: logits, hidden: last, rows: t)
        }
        if let out = a.sentenceEmbedding {
            sentenceModulesForward(out: out, hidden: last, mask: mask, promptLength: a.input?.promptLength ?? 0, batch: a.batch, seq: a.seq)
        }
    }
}
