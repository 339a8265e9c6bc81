import BertFormats

/// One layer's activations, each a view into `ActivationBuffers`' allocation. T = batch × seq.
/// llm.c keeps the same set per layer: what the forward writes and what the backward reads.
public struct LayerActivations: @unchecked Sendable {
    /// [T, 3H]: Q, K and V side by side (one GEMM), bias included.
    public let qkv: UnsafeMutablePointer<Float>
    /// [B, heads, S, S] softmax probabilities; nil when only the last layer's values are kept.
    public let probs: UnsafeMutablePointer<Float>?
    /// [T, H] the heads' context, before the output dense (tap `attention.self`).
    public let context: UnsafeMutablePointer<Float>
    /// [T, H] dense + bias + residual: the LayerNorm's input.
    public let attentionSum: UnsafeMutablePointer<Float>
    /// [T, H] after the LayerNorm (tap `attention`).
    public let attention: UnsafeMutablePointer<Float>
    /// [T] the attention LayerNorm's mean and 1/std per row.
    public let attentionMean: UnsafeMutablePointer<Float>
    public let attentionRstd: UnsafeMutablePointer<Float>
    /// [T, I] dense + bias: the activation's input.
    public let intermediatePre: UnsafeMutablePointer<Float>
    /// [T, I] after hidden_act (tap `intermediate`).
    public let intermediate: UnsafeMutablePointer<Float>
    /// [T, H] dense + bias + residual: the output LayerNorm's input.
    public let outputSum: UnsafeMutablePointer<Float>
    /// [T, H] the layer's output (tap `output`).
    public let output: UnsafeMutablePointer<Float>
    public let outputMean: UnsafeMutablePointer<Float>
    public let outputRstd: UnsafeMutablePointer<Float>
}

/// Every activation of one forward at one (batch, seq) shape, in one allocation sized once and
/// reused across calls.
///
/// With `keepEveryLayer` (dump, verify, training) each layer has its own buffers, including the
/// attention probabilities. Without it (inference) all layers share one set, in place where the
/// op allows (LayerNorm and the activation overwrite their input), and the probabilities are not
/// stored: a layer reads its input only before it first writes its `outputSum`, so the next layer
/// can take its input from the same `output` buffer.
public final class ActivationBuffers: @unchecked Sendable {
    public let batch: Int
    public let seq: Int
    public let head: HeadKind
    public let keepEveryLayer: Bool
    /// Floats in the allocation.
    public let count: Int
    private let base: UnsafeMutablePointer<Float>

    /// [T, E] word + position + type embeddings, the LayerNorm's input (E = embedding_size, which
    /// is hidden_size except in ELECTRA).
    public let embeddingsSum: UnsafeMutablePointer<Float>
    /// [T, E] after the LayerNorm (and dropout) (tap `embeddings`).
    public let embeddings: UnsafeMutablePointer<Float>
    /// [T, H] the first layer's input: `embeddings`, or ELECTRA's `embeddings_project` of them
    /// (tap `embeddings_project`) when embedding_size ≠ hidden_size.
    public let encoderInput: UnsafeMutablePointer<Float>
    public let embeddingsMean: UnsafeMutablePointer<Float>
    public let embeddingsRstd: UnsafeMutablePointer<Float>
    public let layers: [LayerActivations]
    /// [B, H] tanh(dense(first token)), when the model has a pooler.
    public let pooler: UnsafeMutablePointer<Float>?
    /// [B, H] each row's first token, for classifiers that read it (`ClassifierLayout.Input.firstToken`).
    public let classifierTokens: UnsafeMutablePointer<Float>?
    /// [B, H] a classification head's dense output before and after its activation (RoBERTa's
    /// `classifier.dense`, then tanh), for heads that have one; [B·S, H] when it reads every token
    /// (ELECTRA's discriminator).
    public let classifierDensePre: UnsafeMutablePointer<Float>?
    public let classifierDense: UnsafeMutablePointer<Float>?
    /// The task head's logits: [B, labels] (sequence classification), [B, 1] (multiple choice, B =
    /// examples × choices), [B, S, labels] (token classification), [B, S, 2] (question answering),
    /// [B, S] (replaced-token detection).
    public let logits: UnsafeMutablePointer<Float>?
    /// [B, S] each: question answering's start and end logits (channels 0 and 1 of `logits`).
    public let startLogits: UnsafeMutablePointer<Float>?
    public let endLogits: UnsafeMutablePointer<Float>?
    /// [B, 2] next-sentence logits (`cls.seq_relationship`), for NSP and pre-training heads.
    public let nextSentenceLogits: UnsafeMutablePointer<Float>?
    /// [B, S, V] masked-LM logits at every position (`cls.predictions`), only when asked for
    /// (taps): fill-mask computes them at the mask positions alone.
    public let predictionLogits: UnsafeMutablePointer<Float>?
    /// [B, D] sentence-transformers' modules' output (Pooling, Dense, Normalize), when the model has them.
    public let sentenceEmbedding: UnsafeMutablePointer<Float>?
    /// D (0 without a sentence embedding).
    public let sentenceDimension: Int
    /// [heads, S, S] MPNet's relative position bias, made once per forward for every layer.
    public let positionBias: UnsafeMutablePointer<Float>?

    /// The input of the last forward, and per row the keys attention uses.
    public internal(set) var input: BertInput?
    /// The dropout masks of the last forward (nil in eval), for the backward.
    public internal(set) var dropout: DropoutMasks?
    var keys: [(count: Int, masked: Bool)] = []

    /// Examples × choices = batch for a multiple-choice model (the `logits` tap is [batch / choices,
    /// choices]); 1 otherwise. Set by whoever built the batch.
    public var choices = 1

    /// The attention kernel's per-worker scratch.
    let attentionScratch: WorkerScratch

    public init(config c: BertConfig, batch: Int, seq: Int, architecture: Architecture, sentenceDimension: Int?,
                keepEveryLayer: Bool, allPredictions: Bool = false) {
        self.batch = batch
        self.seq = seq
        self.head = architecture.head
        self.keepEveryLayer = keepEveryLayer
        let t = batch * seq, h = c.hiddenSize, i = c.intermediateSize, e = c.embeddingSize
        var plan = Plan()
        let embSum = plan.add(t * e), emb = plan.add(t * e), embMean = plan.add(t), embRstd = plan.add(t)
        let projected = c.projectsEmbeddings ? plan.add(t * h) : emb
        struct Offsets { var qkv, probs, context, attnSum, attn, attnMean, attnRstd, interPre, inter, outSum, out, outMean, outRstd: Int }
        func layerPlan(_ p: inout Plan) -> Offsets {
            if keepEveryLayer {
                return Offsets(qkv: p.add(t * 3 * h), probs: p.add(batch * c.numAttentionHeads * seq * seq),
                               context: p.add(t * h), attnSum: p.add(t * h), attn: p.add(t * h),
                               attnMean: p.add(t), attnRstd: p.add(t), interPre: p.add(t * i), inter: p.add(t * i),
                               outSum: p.add(t * h), out: p.add(t * h), outMean: p.add(t), outRstd: p.add(t))
            }
            let attn = p.add(t * h), inter = p.add(t * i), out = p.add(t * h), mean = p.add(t), rstd = p.add(t)
            return Offsets(qkv: p.add(t * 3 * h), probs: -1, context: p.add(t * h), attnSum: attn, attn: attn,
                           attnMean: mean, attnRstd: rstd, interPre: inter, inter: inter, outSum: out, out: out,
                           outMean: mean, outRstd: rstd)
        }
        var offsets: [Offsets] = []
        if keepEveryLayer {
            for _ in 0..<c.appliedLayers { offsets.append(layerPlan(&plan)) }
        } else {
            offsets = [Offsets](repeating: layerPlan(&plan), count: c.appliedLayers)
        }
        let head = architecture.head
        let poolerAt = architecture.pooler ? plan.add(batch * h) : -1
        let classifier = c.family.layout(head).classifier
        let tokensAt = classifier?.input == .firstToken ? plan.add(batch * h) : -1
        // The dense's rows: one per classifier input row (every token for ELECTRA's discriminator).
        let denseRows = classifier?.input == .everyToken ? t : batch
        let densePreAt = classifier?.dense != nil ? plan.add(denseRows * h) : -1, denseAt = classifier?.dense != nil ? plan.add(denseRows * h) : -1
        let logitsWidth: Int? = switch head {
        case .sequenceClassification: c.numLabels
        case .multipleChoice: 1
        case .tokenClassification: seq * c.numLabels
        case .questionAnswering: seq * 2
        case .replacedTokenDetection: seq
        default: nil
        }
        let logitsAt = logitsWidth.map { plan.add(batch * $0) } ?? -1
        let startAt = head == .questionAnswering ? plan.add(t) : -1, endAt = head == .questionAnswering ? plan.add(t) : -1
        let nspAt = head.hasNextSentence ? plan.add(batch * 2) : -1
        let predictionsAt = head.hasMaskedLM && allPredictions ? plan.add(t * c.vocabSize) : -1
        let sentenceAt = sentenceDimension.map { plan.add(batch * $0) } ?? -1
        let positionBiasAt = c.family.relativeAttention != nil ? plan.add(c.numAttentionHeads * seq * seq) : -1
        self.sentenceDimension = sentenceDimension ?? 0

        count = plan.total
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        let b = base
        embeddingsSum = b + embSum
        embeddings = b + emb
        encoderInput = b + projected
        embeddingsMean = b + embMean
        embeddingsRstd = b + embRstd
        layers = offsets.map { o in
            LayerActivations(qkv: b + o.qkv, probs: o.probs >= 0 ? b + o.probs : nil, context: b + o.context,
                             attentionSum: b + o.attnSum, attention: b + o.attn, attentionMean: b + o.attnMean,
                             attentionRstd: b + o.attnRstd, intermediatePre: b + o.interPre, intermediate: b + o.inter,
                             outputSum: b + o.outSum, output: b + o.out, outputMean: b + o.outMean, outputRstd: b + o.outRstd)
        }
        self.pooler = poolerAt >= 0 ? b + poolerAt : nil
        self.classifierTokens = tokensAt >= 0 ? b + tokensAt : nil
        self.classifierDensePre = densePreAt >= 0 ? b + densePreAt : nil
        self.classifierDense = denseAt >= 0 ? b + denseAt : nil
        self.logits = logitsAt >= 0 ? b + logitsAt : nil
        self.startLogits = startAt >= 0 ? b + startAt : nil
        self.endLogits = endAt >= 0 ? b + endAt : nil
        self.nextSentenceLogits = nspAt >= 0 ? b + nspAt : nil
        self.predictionLogits = predictionsAt >= 0 ? b + predictionsAt : nil
        self.sentenceEmbedding = sentenceAt >= 0 ? b + sentenceAt : nil
        self.positionBias = positionBiasAt >= 0 ? b + positionBiasAt : nil
        attentionScratch = WorkerScratch(floatsPerWorker: Int(bk_attention_scratch_floats(Int32(seq), Int32(c.headSize))))
    }

    deinit { base.deallocate() }

    /// The shape of `logits` for `config`, or nil when the head has none.
    public func logitsShape(config c: BertConfig) -> [Int]? {
        guard logits != nil else { return nil }
        switch head {
        case .sequenceClassification: return [batch, c.numLabels]
        case .multipleChoice: return [batch, 1]
        case .tokenClassification: return [batch, seq, c.numLabels]
        case .questionAnswering: return [batch, seq, 2]
        // ElectraDiscriminatorPredictions squeezes dense_prediction's one channel.
        case .replacedTokenDetection: return [batch, seq]
        default: return nil
        }
    }

    /// Bytes held, scratch included.
    public var byteCount: Int { count * 4 + attentionScratch.byteCount }

    /// Offsets of 64-byte-aligned regions.
    private struct Plan {
        var total = 0
        mutating func add(_ floats: Int) -> Int {
            let at = total
            total += (floats + 15) & ~15
            return at
        }
    }
}

import CBertKit
