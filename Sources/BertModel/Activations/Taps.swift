import BertFormats

/// A point in the forward whose output can be recorded, named by transformers' module path
/// (formats/golden.md).
public enum Tap: Hashable, Sendable, CustomStringConvertible {
    case embeddings
    case attentionProbs(layer: Int)
    case attentionSelf(layer: Int)
    case attention(layer: Int)
    case intermediate(layer: Int)
    case output(layer: Int)
    case pooler
    case classifier
    case sentenceEmbedding

    /// The module path: `encoder.layer.3.attention.self`, `pooler`, ...
    public var description: String {
        switch self {
        case .embeddings: "embeddings"
        case .attentionProbs(let l): "encoder.layer.\(l).attention.probs"
        case .attentionSelf(let l): "encoder.layer.\(l).attention.self"
        case .attention(let l): "encoder.layer.\(l).attention"
        case .intermediate(let l): "encoder.layer.\(l).intermediate"
        case .output(let l): "encoder.layer.\(l).output"
        case .pooler: "pooler"
        case .classifier: "classifier"
        case .sentenceEmbedding: "sentence_embedding"
        }
    }

    public var layer: Int? {
        switch self {
        case .attentionProbs(let l), .attentionSelf(let l), .attention(let l), .intermediate(let l), .output(let l): l
        default: nil
        }
    }

    /// The tap a golden tensor name stands for: a module path (optionally under `bert.`) or one of
    /// transformers' output names (`hidden_states.k`, `attentions.i`, `last_hidden_state`,
    /// `pooler_output`, `logits`). `layers` resolves `last_hidden_state`. Nil for other names.
    public init?(goldenName name: String, layers: Int) {
        var n = name
        if n.hasPrefix("bert.") { n.removeFirst(5) }
        switch n {
        case "embeddings": self = .embeddings; return
        case "pooler", "pooler_output": self = .pooler; return
        case "classifier", "logits": self = .classifier; return
        case "sentence_embedding": self = .sentenceEmbedding; return
        case "last_hidden_state": self = .output(layer: layers - 1); return
        default: break
        }
        let parts = n.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func index(_ s: String) -> Int? {
            guard let i = Int(s), i >= 0, String(i) == s else { return nil }
            return i
        }
        if parts.count == 2, let k = index(parts[1]) {
            switch parts[0] {
            case "hidden_states": self = k == 0 ? .embeddings : .output(layer: k - 1); return
            case "attentions": self = .attentionProbs(layer: k); return
            default: return nil
            }
        }
        guard parts.count >= 4, parts[0] == "encoder", parts[1] == "layer", let l = index(parts[2]) else { return nil }
        switch parts[3...].joined(separator: ".") {
        case "attention.probs": self = .attentionProbs(layer: l)
        case "attention.self": self = .attentionSelf(layer: l)
        case "attention": self = .attention(layer: l)
        case "intermediate": self = .intermediate(layer: l)
        case "output": self = .output(layer: l)
        default: return nil
        }
    }

    /// Every tap a model has, in forward order.
    public static func all(for model: BertModel) -> [Tap] {
        var taps: [Tap] = [.embeddings]
        for l in 0..<model.config.numHiddenLayers {
            taps += [.attentionProbs(layer: l), .attentionSelf(layer: l), .attention(layer: l), .intermediate(layer: l),
                     .output(layer: l)]
        }
        if model.hasPooler { taps.append(.pooler) }
        if model.hasClassifier { taps.append(.classifier) }
        if model.pooling != nil { taps.append(.sentenceEmbedding) }
        return taps
    }

    /// Position in forward order (for sorting taps a golden lists in another order).
    public var order: Int {
        switch self {
        case .embeddings: 0
        case .attentionProbs(let l): 1 + 5 * l
        case .attentionSelf(let l): 2 + 5 * l
        case .attention(let l): 3 + 5 * l
        case .intermediate(let l): 4 + 5 * l
        case .output(let l): 5 + 5 * l
        case .pooler: Int.max - 2
        case .classifier: Int.max - 1
        case .sentenceEmbedding: Int.max
        }
    }

    /// True for taps with one value per token ([B, S, …]); pooler, classifier and sentence
    /// embeddings have one per row ([B, …]); probabilities are [B, heads, S, S].
    public var isPerToken: Bool {
        switch self {
        case .pooler, .classifier, .sentenceEmbedding, .attentionProbs: false
        default: true
        }
    }
}

extension ActivationBuffers {
    /// The shape of a tap's tensor for `config` at this batch shape.
    public func shape(of tap: Tap, config c: BertConfig) -> [Int] {
        switch tap {
        case .embeddings, .attentionSelf, .attention, .output: [batch, seq, c.hiddenSize]
        case .intermediate: [batch, seq, c.intermediateSize]
        case .attentionProbs: [batch, c.numAttentionHeads, seq, seq]
        case .pooler: [batch, c.hiddenSize]
        case .sentenceEmbedding: [batch, sentenceDimension]
        case .classifier: [batch, c.numLabels]
        }
    }

    /// A tap's values from the last forward, or nil when these buffers do not hold it (a layer tap
    /// needs `keepEveryLayer`; heads need the model to have them).
    public func values(of tap: Tap, config c: BertConfig) -> UnsafeBufferPointer<Float>? {
        let n = shape(of: tap, config: c).reduce(1, *)
        func layer(_ l: Int) -> LayerActivations? {
            guard l >= 0, l < layers.count, keepEveryLayer || l == layers.count - 1 else { return nil }
            return layers[l]
        }
        let p: UnsafeMutablePointer<Float>?
        switch tap {
        case .embeddings: p = embeddings
        case .attentionProbs(let l): p = layer(l).flatMap { $0.probs }
        case .attentionSelf(let l): p = keepEveryLayer ? layer(l)?.context : nil
        case .attention(let l): p = keepEveryLayer ? layer(l)?.attention : nil
        case .intermediate(let l): p = keepEveryLayer ? layer(l)?.intermediate : nil
        case .output(let l): p = layer(l)?.output
        case .pooler: p = pooler
        case .classifier: p = logits
        case .sentenceEmbedding: p = sentenceEmbedding
        }
        return p.map { UnsafeBufferPointer(start: $0, count: n) }
    }
}
