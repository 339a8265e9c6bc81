import BertFormats

/// A point in the forward whose output can be recorded, named by transformers' module path
/// (formats/golden.md), or by its output name where no module gives it (`start_logits`, the
/// multiple-choice `logits`).
public enum Tap: Hashable, Sendable, CustomStringConvertible {
    case embeddings
    /// ELECTRA's `embeddings_project` [B, S, H]: the first layer's input when embedding_size ≠ hidden_size.
    case embeddingsProjection
    case attentionProbs(layer: Int)
    case attentionSelf(layer: Int)
    case attention(layer: Int)
    case intermediate(layer: Int)
    case output(layer: Int)
    case pooler
    /// The `classifier` Linear: [B, labels] (sequence), [B, S, labels] (token), [B·C, 1] (choices),
    /// [B, S] (ELECTRA's `discriminator_predictions`).
    case classifier
    /// Multiple choice's `logits`, the classifier's output viewed as [B, C].
    case choiceLogits
    /// `qa_outputs` [B, S, 2], and its two channels.
    case qaOutputs
    case startLogits
    case endLogits
    /// `cls.seq_relationship` [B, 2].
    case nextSentence
    /// `cls.predictions` [B, S, V] (RoBERTa's `lm_head`).
    case predictions
    case sentenceEmbedding

    /// The module path (`encoder.layer.3.attention.self`, `cls.predictions`), or the output name.
    public var description: String {
        switch self {
        case .embeddings: "embeddings"
        case .embeddingsProjection: "embeddings_project"
        case .attentionProbs(let l): "encoder.layer.\(l).attention.probs"
        case .attentionSelf(let l): "encoder.layer.\(l).attention.self"
        case .attention(let l): "encoder.layer.\(l).attention"
        case .intermediate(let l): "encoder.layer.\(l).intermediate"
        case .output(let l): "encoder.layer.\(l).output"
        case .pooler: "pooler"
        case .classifier: "classifier"
        case .choiceLogits: "logits"
        case .qaOutputs: "qa_outputs"
        case .startLogits: "start_logits"
        case .endLogits: "end_logits"
        case .nextSentence: "cls.seq_relationship"
        case .predictions: "cls.predictions"
        case .sentenceEmbedding: "sentence_embedding"
        }
    }

    public var layer: Int? {
        switch self {
        case .attentionProbs(let l), .attentionSelf(let l), .attention(let l), .intermediate(let l), .output(let l): l
        default: nil
        }
    }

    /// The tap a golden tensor name stands for, for a model with `layers` layers and `head`: a
    /// module path (encoder modules optionally under the family's prefix, `bert.` or `roberta.`) or one of transformers' output names
    /// (`hidden_states.k`, `attentions.i`, `last_hidden_state`, `pooler_output`, `logits`,
    /// `prediction_logits`, `seq_relationship_logits`, `start_logits`, `end_logits`). Nil for other names.
    /// `hidden_states.0` is the first layer's input: the embeddings, or `embeddings_project` in a
    /// golden that records one (`projectedEmbeddings`).
    public init?(goldenName name: String, layers: Int, head: HeadKind, projectedEmbeddings: Bool = false) {
        var n = name
        // The encoder under any family's prefix (`bert.`, `roberta.`).
        if let f = EncoderFamily.all.first(where: { n.hasPrefix($0.prefix + ".") }) { n.removeFirst(f.prefix.count + 1) }
        // Layers under another family's spelling (DistilBERT's `transformer.layer.N.sa_layer_norm`) as BERT's modules.
        // A family with BERT's module names (MPNet: only its parameters are spelt otherwise) has no `taps`.
        for f in EncoderFamily.all where !f.layers.taps.isEmpty && n.hasPrefix(f.layers.scope + ".") {
            let rest = n.dropFirst(f.layers.scope.count + 1)
            guard let dot = rest.firstIndex(of: "."), let module = f.layers.taps[String(rest[rest.index(after: dot)...])] else { return nil }
            n = "encoder.layer.\(rest[..<dot]).\(module)"
        }
        switch n {
        case "embeddings": self = .embeddings; return
        // ELECTRA's `embeddings_project`, ALBERT's `encoder.embedding_hidden_mapping_in`.
        case "embeddings_project", "encoder.embedding_hidden_mapping_in": self = .embeddingsProjection; return
        case "pooler", "pooler_output": self = .pooler; return
        // ELECTRA's discriminator head is `discriminator_predictions`, its output the logits [B, S].
        case "classifier", "discriminator_predictions": self = .classifier; return
        case "qa_outputs": self = .qaOutputs; return
        case "start_logits": self = .startLogits; return
        case "end_logits": self = .endLogits; return
        // ALBERT's sentence-order head is bertkit's NSP slot.
        case "cls.seq_relationship", "seq_relationship_logits", "sop_classifier", "sop_logits": self = .nextSentence; return
        // BERT's `cls.predictions`, RoBERTa's `lm_head`, ELECTRA's `generator_lm_head`, DistilBERT's
        // `vocab_projector` (its last module), ALBERT's `predictions`.
        case "cls.predictions", "lm_head", "generator_lm_head", "vocab_projector", "predictions", "prediction_logits":
            self = .predictions; return
        case "sentence_embedding": self = .sentenceEmbedding; return
        case "last_hidden_state": self = .output(layer: layers - 1); return
        case "logits":
            switch head {
            case .sequenceClassification, .tokenClassification, .replacedTokenDetection: self = .classifier
            case .multipleChoice: self = .choiceLogits
            case .maskedLM: self = .predictions
            case .nextSentence: self = .nextSentence
            case .none, .preTraining, .questionAnswering: return nil
            }
            return
        default: break
        }
        let parts = n.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func index(_ s: String) -> Int? {
            guard let i = Int(s), i >= 0, String(i) == s else { return nil }
            return i
        }
        if parts.count == 2, let k = index(parts[1]) {
            switch parts[0] {
            case "hidden_states": self = k > 0 ? .output(layer: k - 1) : projectedEmbeddings ? .embeddingsProjection : .embeddings; return
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

    /// The head taps a model with `head` has (besides the pooler), in forward order.
    public static func headTaps(_ head: HeadKind) -> [Tap] {
        switch head {
        case .none: []
        case .sequenceClassification, .tokenClassification: [.classifier]
        case .multipleChoice: [.classifier, .choiceLogits]
        case .replacedTokenDetection: [.classifier]
        case .questionAnswering: [.qaOutputs, .startLogits, .endLogits]
        case .nextSentence: [.nextSentence]
        case .maskedLM: [.predictions]
        case .preTraining: [.predictions, .nextSentence]
        }
    }

    /// Every tap a model has, in forward order. `predictions` only when asked for: it is
    /// batch × seq × vocabulary floats.
    public static func all(for model: BertModel, predictions: Bool = false) -> [Tap] {
        var taps: [Tap] = [.embeddings]
        if model.config.projectsEmbeddings { taps.append(.embeddingsProjection) }
        for l in 0..<model.config.appliedLayers {
            taps += [.attentionProbs(layer: l), .attentionSelf(layer: l), .attention(layer: l), .intermediate(layer: l),
                     .output(layer: l)]
        }
        if model.architecture.pooler { taps.append(.pooler) }
        taps += headTaps(model.head).filter { $0 != .predictions || predictions }
        if model.pooling != nil { taps.append(.sentenceEmbedding) }
        return taps
    }

    /// Position in forward order (for sorting taps a golden lists in another order).
    public var order: Int {
        switch self {
        case .embeddings: -1
        case .embeddingsProjection: 0
        case .attentionProbs(let l): 1 + 5 * l
        case .attentionSelf(let l): 2 + 5 * l
        case .attention(let l): 3 + 5 * l
        case .intermediate(let l): 4 + 5 * l
        case .output(let l): 5 + 5 * l
        case .pooler: Int.max - 10
        case .predictions: Int.max - 9
        case .nextSentence: Int.max - 8
        case .classifier: Int.max - 7
        case .choiceLogits: Int.max - 6
        case .qaOutputs: Int.max - 5
        case .startLogits: Int.max - 4
        case .endLogits: Int.max - 3
        case .sentenceEmbedding: Int.max
        }
    }

    /// True for taps with one value (or vector) per token, [B, S, …]: only real tokens are compared.
    public func isPerToken(head: HeadKind) -> Bool {
        switch self {
        case .pooler, .choiceLogits, .nextSentence, .sentenceEmbedding, .attentionProbs: false
        case .classifier: head == .tokenClassification || head == .replacedTokenDetection
        default: true
        }
    }
}

extension ActivationBuffers {
    /// The shape of a tap's tensor for `config` at this batch shape.
    public func shape(of tap: Tap, config c: BertConfig) -> [Int] {
        switch tap {
        case .embeddings: [batch, seq, c.embeddingSize]
        case .embeddingsProjection, .attentionSelf, .attention, .output: [batch, seq, c.hiddenSize]
        case .intermediate: [batch, seq, c.intermediateSize]
        case .attentionProbs: [batch, c.numAttentionHeads, seq, seq]
        case .pooler: [batch, c.hiddenSize]
        case .sentenceEmbedding: [batch, sentenceDimension]
        case .classifier, .qaOutputs: logitsShape(config: c) ?? [batch, 0]
        case .choiceLogits: [batch / max(choices, 1), choices]
        case .startLogits, .endLogits: [batch, seq]
        case .nextSentence: [batch, 2]
        case .predictions: [batch, seq, c.vocabSize]
        }
    }

    /// A tap's values from the last forward, or nil when these buffers do not hold it (a layer tap
    /// needs `keepEveryLayer`; heads need the model to have them; `predictions` `allPredictions`).
    public func values(of tap: Tap, config c: BertConfig) -> UnsafeBufferPointer<Float>? {
        let n = shape(of: tap, config: c).reduce(1, *)
        func layer(_ l: Int) -> LayerActivations? {
            guard l >= 0, l < layers.count, keepEveryLayer || l == layers.count - 1 else { return nil }
            return layers[l]
        }
        let p: UnsafeMutablePointer<Float>?
        switch tap {
        case .embeddings: p = embeddings
        case .embeddingsProjection: p = c.projectsEmbeddings ? encoderInput : nil
        case .attentionProbs(let l): p = layer(l).flatMap { $0.probs }
        case .attentionSelf(let l): p = keepEveryLayer ? layer(l)?.context : nil
        case .attention(let l): p = keepEveryLayer ? layer(l)?.attention : nil
        case .intermediate(let l): p = keepEveryLayer ? layer(l)?.intermediate : nil
        case .output(let l): p = layer(l)?.output
        case .pooler: p = pooler
        case .classifier: p = head == .questionAnswering ? nil : logits
        case .choiceLogits: p = head == .multipleChoice ? logits : nil
        case .qaOutputs: p = head == .questionAnswering ? logits : nil
        case .startLogits: p = startLogits
        case .endLogits: p = endLogits
        case .nextSentence: p = nextSentenceLogits
        case .predictions: p = predictionLogits
        case .sentenceEmbedding: p = sentenceEmbedding
        }
        return p.map { UnsafeBufferPointer(start: $0, count: n) }
    }
}
