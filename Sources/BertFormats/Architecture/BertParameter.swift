/// Every parameter a checkpoint of any encoder family can carry, typed, so that forward, backward,
/// binding and export name weights through cases (a misspelt parameter is a compile error). `name` is
/// the canonical spelling, the same in every family (what `.bkm` stores): transformers' `BertModel`
/// names for the encoder and the `BertFor…` names for the heads (models/bert/modeling_bert.py),
/// without the `bert.` prefix; parameters BERT lacks take the first family's spelling
/// (`classifier.dense.*`). A family's own spellings are in its `EncoderFamily` (`lm_head.*`).
public enum BertParameter: Hashable, Sendable, Comparable, CustomStringConvertible {
    case embeddings(Embeddings)
    /// ELECTRA's `embeddings_project` (modeling_electra.py, ElectraModel): Linear embedding_size →
    /// hidden_size after the embeddings' LayerNorm, present only when the two differ.
    case embeddingsProjection(Linear)
    case layer(Int, Layer)
    /// MPNet's `encoder.relative_attention_bias.weight` [32 buckets, heads] (RelativeAttentionBias).
    case relativeAttentionBias
    case pooler(Linear)
    case head(Head)

    /// `BertEmbeddings`.
    public enum Embeddings: String, CaseIterable, Sendable {
        case word = "word_embeddings.weight"
        case position = "position_embeddings.weight"
        case tokenType = "token_type_embeddings.weight"
        case normWeight = "LayerNorm.weight"
        case normBias = "LayerNorm.bias"
    }

    /// One `BertLayer`, in forward order.
    public enum Layer: String, CaseIterable, Sendable {
        case queryWeight = "attention.self.query.weight", queryBias = "attention.self.query.bias"
        case keyWeight = "attention.self.key.weight", keyBias = "attention.self.key.bias"
        case valueWeight = "attention.self.value.weight", valueBias = "attention.self.value.bias"
        case attentionOutputWeight = "attention.output.dense.weight", attentionOutputBias = "attention.output.dense.bias"
        case attentionNormWeight = "attention.output.LayerNorm.weight", attentionNormBias = "attention.output.LayerNorm.bias"
        case intermediateWeight = "intermediate.dense.weight", intermediateBias = "intermediate.dense.bias"
        case outputWeight = "output.dense.weight", outputBias = "output.dense.bias"
        case outputNormWeight = "output.LayerNorm.weight", outputNormBias = "output.LayerNorm.bias"
    }

    public enum Linear: String, CaseIterable, Sendable {
        case weight = "dense.weight", bias = "dense.bias"
    }

    /// The heads' parameters (`HeadKind.parameters` says which head has which).
    public enum Head: String, CaseIterable, Sendable {
        /// Sequence, token and multiple-choice classification: the output projection (RoBERTa's
        /// `classifier.out_proj`, EncoderFamily's head names).
        case classifierWeight = "classifier.weight", classifierBias = "classifier.bias"
        /// The dense before the projection, in families whose classification head has one
        /// (`ClassifierLayout.dense`: RoBERTa's and ELECTRA's `classifier.dense`, DistilBERT's `pre_classifier`).
        case classifierDenseWeight = "classifier.dense.weight", classifierDenseBias = "classifier.dense.bias"
        /// Question answering: channel 0 is the start, 1 the end.
        case qaWeight = "qa_outputs.weight", qaBias = "qa_outputs.bias"
        /// Next-sentence prediction on the pooled output.
        case nspWeight = "cls.seq_relationship.weight", nspBias = "cls.seq_relationship.bias"
        /// `BertLMPredictionHead`: transform (dense, hidden_act, LayerNorm), then the decoder.
        case mlmTransformWeight = "cls.predictions.transform.dense.weight"
        case mlmTransformBias = "cls.predictions.transform.dense.bias"
        case mlmNormWeight = "cls.predictions.transform.LayerNorm.weight"
        case mlmNormBias = "cls.predictions.transform.LayerNorm.bias"
        /// The output bias; when tied, `decoder.bias` is this tensor.
        case mlmBias = "cls.predictions.bias"
        /// Stored only when untied (`tie_word_embeddings: false`); tied, it is the word embeddings.
        case mlmDecoderWeight = "cls.predictions.decoder.weight"
        case mlmDecoderBias = "cls.predictions.decoder.bias"
    }

    public var name: String {
        switch self {
        case .embeddings(let e): "embeddings." + e.rawValue
        case .embeddingsProjection(let p): p == .weight ? "embeddings_project.weight" : "embeddings_project.bias"
        case .layer(let l, let p): "encoder.layer.\(l)." + p.rawValue
        case .relativeAttentionBias: "encoder.relative_attention_bias.weight"
        case .pooler(let p): "pooler." + p.rawValue
        case .head(let h): h.rawValue
        }
    }

    public var description: String { name }

    /// Parses a canonical name; nil for anything else.
    public init?(name n: String) {
        if let p = Self.byName[n] { self = p; return }
        let parts = n.split(separator: ".", maxSplits: 3)
        guard parts.count == 4, parts[0] == "encoder", parts[1] == "layer", let i = Int(parts[2]), i >= 0, String(i) == parts[2],
              let p = Layer(rawValue: String(parts[3])) else { return nil }
        self = .layer(i, p)
    }

    private static let byName: [String: BertParameter] = {
        var m: [String: BertParameter] = [:]
        for e in Embeddings.allCases { m[BertParameter.embeddings(e).name] = .embeddings(e) }
        for p in Linear.allCases { m[BertParameter.pooler(p).name] = .pooler(p) }
        for p in Linear.allCases { m[BertParameter.embeddingsProjection(p).name] = .embeddingsProjection(p) }
        m[BertParameter.relativeAttentionBias.name] = .relativeAttentionBias
        for h in Head.allCases { m[h.rawValue] = .head(h) }
        return m
    }()

    /// Forward order: embeddings, layers, pooler, heads (each in declaration order).
    private var rank: (Int, Int, Int) {
        switch self {
        case .embeddings(let e): (0, 0, Embeddings.allCases.firstIndex(of: e)!)
        case .embeddingsProjection(let p): (0, 1, Linear.allCases.firstIndex(of: p)!)
        case .layer(let l, let p): (1, l, Layer.allCases.firstIndex(of: p)!)
        case .relativeAttentionBias: (1, Int.max, 0)  // registered after the layers (MPNetEncoder)
        case .pooler(let p): (2, 0, Linear.allCases.firstIndex(of: p)!)
        case .head(let h): (3, 0, Head.allCases.firstIndex(of: h)!)
        }
    }

    public static func < (a: BertParameter, b: BertParameter) -> Bool { a.rank < b.rank }

    /// The config keys that give the parameter's dimensions, in order, for shape errors; nil for
    /// the heads (whose rows come from labels or the vocabulary).
    public var configKeys: [String]? {
        switch self {
        case .embeddings(.word): ["vocab_size", "hidden_size"]
        case .embeddings(.position): ["max_position_embeddings", "hidden_size"]
        case .embeddings(.tokenType): ["type_vocab_size", "hidden_size"]
        case .embeddings: ["hidden_size"]
        case .embeddingsProjection(.weight): ["hidden_size", "embedding_size"]
        case .embeddingsProjection: ["hidden_size"]
        case .layer(_, .queryWeight), .layer(_, .keyWeight), .layer(_, .valueWeight), .layer(_, .attentionOutputWeight),
             .pooler(.weight): ["hidden_size", "hidden_size"]
        case .layer(_, .intermediateWeight): ["intermediate_size", "hidden_size"]
        case .layer(_, .intermediateBias): ["intermediate_size"]
        case .layer(_, .outputWeight): ["hidden_size", "intermediate_size"]
        case .layer, .pooler: ["hidden_size"]
        case .relativeAttentionBias: ["relative_attention_num_buckets", "num_attention_heads"]
        case .head: nil
        }
    }

    /// `configKeys` in `family`: its embeddings are `embedding_size` wide where the family reads it (ELECTRA).
    public func configKeys(family: EncoderFamily) -> [String]? {
        guard family.config.embeddingSize, case .embeddings = self else { return configKeys }
        return configKeys?.map { $0 == "hidden_size" ? "embedding_size" : $0 }
    }

    /// The encoder's parameters with their shapes (Linear weights `[out, in]`), in forward order, in `c`'s family.
    public static func encoder(_ c: BertConfig, pooler: Bool) -> [(BertParameter, [Int])] {
        let h = c.hiddenSize, i = c.intermediateSize, e = c.embeddingSize
        let family = c.family
        var out: [(BertParameter, [Int])] = [(.embeddings(.word), [c.vocabSize, e]), (.embeddings(.position), [c.maxPositionEmbeddings, e])]
        // DistilBERT and MPNet have no token-type table (EmbeddingsLayout.tokenTypes).
        if family.embeddings.tokenTypes { out.append((.embeddings(.tokenType), [c.typeVocabSize, e])) }
        out += [(.embeddings(.normWeight), [e]), (.embeddings(.normBias), [e])]
        if c.projectsEmbeddings { out += [(.embeddingsProjection(.weight), [h, e]), (.embeddingsProjection(.bias), [h])] }
        // Stored layers (ALBERT's groups × inner_group_num; the layers elsewhere).
        for l in 0..<c.storedLayers {
            for p in Layer.allCases {
                let shape: [Int]
                switch p {
                case .queryWeight, .keyWeight, .valueWeight, .attentionOutputWeight: shape = [h, h]
                case .intermediateWeight: shape = [i, h]
                case .intermediateBias: shape = [i]
                case .outputWeight: shape = [h, i]
                default: shape = [h]
                }
                out.append((.layer(l, p), shape))
            }
        }
        if let r = family.relativeAttention { out.append((.relativeAttentionBias, [r.buckets, c.numAttentionHeads])) }
        if pooler { out += [(.pooler(.weight), [h, h]), (.pooler(.bias), [h])] }
        return out
    }
}
