import BertFormats
import CBertKit

// torch.nn.Dropout where transformers' modeling_bert.py applies it in training: after the
// embeddings' LayerNorm, on the attention probabilities, after the attention-output and output
// denses (before their residual), and before the classifier: on the pooled output (sequence
// classification, multiple choice) or on every token (token classification); QA, MLM and NSP
// heads have none (DistilBERT's QA has one: DropoutSchema). RoBERTa's classification head also drops the dense's output before `out_proj`
// (`.classifierDense`, ClassificationHead.swift). In eval every dropout is the identity, so the forward takes no masks. The masks
// are kept for the backward, which is the same product on the gradient (bk_dropout_apply,
// Sources/CBertKit/kernels/dropout.c).

/// Dropout probabilities, from config.json as transformers reads them.
public struct DropoutRates: Sendable, Equatable {
    /// `hidden_dropout_prob`: embeddings, output.
    public var hidden: Float
    /// `attention_probs_dropout_prob`.
    public var attention: Float
    /// After the attention output dense: `hidden`, except in families with none there (DistilBERT).
    public var attentionOutput: Float
    /// `classifier_dropout`, else `hidden_dropout_prob`: before the head's Linear (`.classifier`),
    /// or as the family's DropoutSchema says (DistilBERT's QA: `qa_dropout`).
    public var classifier: Float
    /// After a classification head's dense (`.classifierDense`): `classifier` too, except in
    /// SequenceSummary heads (ELECTRA's multiple choice: `summary_last_dropout`, before it `summary_first_dropout`)
    /// and as the family's DropoutSchema says.
    public var classifierDense: Float

    public init(hidden: Float, attention: Float, classifier: Float, classifierDense: Float? = nil, attentionOutput: Float? = nil) {
        self.hidden = hidden
        self.attention = attention
        self.attentionOutput = attentionOutput ?? hidden
        self.classifier = classifier
        self.classifierDense = classifierDense ?? classifier
    }

    /// The config's rates for `head`, as its family reads them (DropoutSchema, else ClassifierLayout.dropout).
    public init(config c: BertConfig, head: HeadKind = .sequenceClassification) {
        let schema = c.family.config.dropout
        func rate(_ r: DropoutSchema.Rate) -> Float {
            switch r {
            case .none: 0
            case .hidden: Float(c.hiddenDropoutProb)
            case .classifier: Float(c.classifierDropout ?? c.hiddenDropoutProb)
            case .key(let k): Float(c.familyDropout[k] ?? 0)
            }
        }
        let classifier: Float, dense: Float
        if let sites = schema.heads[head] {
            (classifier, dense) = (rate(sites.input), rate(sites.dense))
        } else if c.family.layout(head).classifier == nil {
            (classifier, dense) = (0, 0)  // BERT's QA, MLM and NSP heads drop nothing
        } else if c.family.layout(head).classifier?.dropout == .sequenceSummary {
            (classifier, dense) = (Float(c.summaryFirstDropout), Float(c.summaryLastDropout))
        } else {
            (classifier, dense) = (rate(.classifier), rate(.classifier))
        }
        self.init(hidden: Float(c.hiddenDropoutProb), attention: Float(c.attentionProbsDropoutProb), classifier: classifier,
                  classifierDense: dense, attentionOutput: schema.attentionOutput ? Float(c.hiddenDropoutProb) : 0)
    }

    public static let off = DropoutRates(hidden: 0, attention: 0, classifier: 0)

    /// The rate at `site`.
    public func rate(_ site: DropoutSite) -> Float {
        switch site {
        case .embeddings, .output: hidden
        case .attentionOutput: attentionOutput
        case .attentionProbs: attention
        case .classifier: classifier
        case .classifierDense: classifierDense
        }
    }
    public var isOff: Bool { hidden == 0 && attention == 0 && attentionOutput == 0 && classifier == 0 && classifierDense == 0 }
}

/// One place a dropout mask applies.
public enum DropoutSite: Hashable, Sendable, CustomStringConvertible {
    case embeddings
    case attentionProbs(layer: Int)
    case attentionOutput(layer: Int)
    case output(layer: Int)
    case classifier
    /// Between a classification head's dense and its output projection (RobertaClassificationHead's
    /// second dropout).
    case classifierDense

    /// The module whose dropout this is, as transformers names it.
    public var weightPrefix: String {
        switch self {
        case .embeddings: "embeddings"
        case .attentionProbs(let l): "encoder.layer.\(l).attention.self"
        case .attentionOutput(let l): "encoder.layer.\(l).attention.output"
        case .output(let l): "encoder.layer.\(l).output"
        case .classifier: "classifier"
        case .classifierDense: "classifier.dense"
        }
    }

    public var description: String { weightPrefix }
}

/// The masks of one training forward at one (batch, seq) shape, one allocation sized once. Sites
/// whose rate is 0 have no mask and are skipped. A byte is 1 where the element is kept.
public final class DropoutMasks: @unchecked Sendable {
    public let batch: Int
    public let seq: Int
    public let rates: DropoutRates
    /// Every site with a mask, in the order torch draws them in a forward, and its element count.
    public let sites: [(site: DropoutSite, count: Int)]
    private let views: [DropoutSite: UnsafeMutableBufferPointer<UInt8>]
    private let base: UnsafeMutablePointer<UInt8>
    private let total: Int
    /// The classifier's input after dropout, kept for its backward: [B, H] the pooled output, or
    /// [T, H] every token's hidden state for token classification.
    let classifierInput: UnsafeMutablePointer<Float>
    private let classifierCount: Int
    /// [B, H] ([T, H] on every token) the output projection's input after `.classifierDense`'s dropout (heads with a dense).
    let classifierDenseInput: UnsafeMutablePointer<Float>
    private let denseCount: Int

    /// Masks for a model with `head`, which decides whether and where the classifier site is.
    public init(config c: BertConfig, batch: Int, seq: Int, rates: DropoutRates, head: HeadKind = .sequenceClassification) {
        self.batch = batch
        self.seq = seq
        self.rates = rates
        let t = batch * seq, h = c.hiddenSize
        var order: [(site: DropoutSite, count: Int)] = [(.embeddings, t * c.embeddingSize)]
        for l in 0..<c.appliedLayers {
            order += [(.attentionProbs(layer: l), batch * c.numAttentionHeads * seq * seq), (.attentionOutput(layer: l), t * h),
                      (.output(layer: l), t * h)]
        }
        let layout = c.family.layout(head).classifier
        // QA's input dropout, in families whose QA head has one (DistilBertForQuestionAnswering's
        // `qa_dropout`, DropoutSchema), is on every token as token classification's; BERT's QA has none.
        let qaDropout = head == .questionAnswering && (c.family.config.dropout.heads[head].map { $0.input != .none } ?? false)
        let classifierRows: Int = switch layout?.input {
        case .pooled, .firstToken: batch
        case .everyToken: t
        case nil: qaDropout ? t : 0
        }
        if classifierRows > 0 { order.append((.classifier, classifierRows * h)) }
        let denseRows = layout?.input == .everyToken ? t : batch
        if layout?.dense != nil { order.append((.classifierDense, denseRows * h)) }
        sites = order.filter { rates.rate($0.site) > 0 }
        let offsets = sites.reduce(into: [0]) { $0.append($0.last! + (($1.count + 63) & ~63)) }
        total = offsets.last!
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 64)
            .bindMemory(to: UInt8.self, capacity: max(total, 1))
        base.initialize(repeating: 1, count: max(total, 1))
        self.base = base
        views = Dictionary(uniqueKeysWithValues: zip(sites, offsets).map { ($0.site, UnsafeMutableBufferPointer(start: base + $1, count: $0.count)) })
        classifierCount = sites.contains { $0.site == .classifier } ? classifierRows * h : 0
        classifierInput = .allocate(capacity: max(classifierCount, 1))
        classifierInput.initialize(repeating: 0, count: max(classifierCount, 1))
        denseCount = sites.contains { $0.site == .classifierDense } ? denseRows * h : 0
        classifierDenseInput = .allocate(capacity: max(denseCount, 1))
        classifierDenseInput.initialize(repeating: 0, count: max(denseCount, 1))
    }

    deinit {
        base.deallocate()
        classifierInput.deallocate()
        classifierDenseInput.deallocate()
    }

    public var byteCount: Int { total + 4 * (classifierCount + denseCount) }

    /// The mask of `site`, nil when its rate is 0.
    public func mask(_ site: DropoutSite) -> UnsafeMutableBufferPointer<UInt8>? { views[site] }

    /// The mask of `site` and its scale, nil when its rate is 0 (no dropout there).
    func apply(_ site: DropoutSite) -> (mask: UnsafeMutableBufferPointer<UInt8>, scale: Float)? {
        views[site].map { ($0, scale(site)) }
    }

    /// 1/(1-p) for the site's rate (0 when p is 1: nothing survives).
    public func scale(_ site: DropoutSite) -> Float {
        let p = rates.rate(site)
        return p < 1 ? 1 / (1 - p) : 0
    }

    /// Draws every mask for training step `step` under `seed`: the same (seed, step) gives the same
    /// masks, on any thread count, so a resumed run continues exactly.
    public func draw(seed: UInt64, step: Int) {
        let key = bk_dropout_key(seed, UInt64(step))
        for (site, n) in sites {
            let m = views[site]!.baseAddress!, at = m - base
            let t = bk_dropout_threshold(rates.rate(site))
            parallelFor(n, grain: 1 << 16) { r in
                bk_dropout_mask(m + r.lowerBound, r.count, key, UInt64(at + r.lowerBound), t)
            }
        }
    }
}

/// out = x ⊙ mask · scale (+ residual) for rows `rows` of `cols`: dropout's forward, and its
/// backward on a gradient (then with no residual).
func dropoutRows(out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, mask: UnsafeMutableBufferPointer<UInt8>,
                 scale: Float, residual: UnsafePointer<Float>? = nil, rows: Range<Int>, cols: Int) {
    let at = rows.lowerBound * cols
    bk_dropout_apply(out + at, x + at, mask.baseAddress! + at, scale, residual.map { $0 + at }, rows.count * cols)
}
