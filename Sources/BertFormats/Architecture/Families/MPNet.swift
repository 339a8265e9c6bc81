import Foundation

// transformers models/mpnet/modeling_mpnet.py (5.23): MPNetEmbeddings (word + position, no token
// types; position ids `create_position_ids_from_input_ids` with padding_idx 1, as RoBERTa's),
// MPNetSelfAttention (`attention.attn.{q,k,v,o}`: scores / sqrt(d) + position_bias, then the mask),
// MPNetAttention (`attention.LayerNorm` after o + residual), MPNetIntermediate/MPNetOutput as BERT's,
// MPNetEncoder (`relative_attention_bias`, computed once per forward by compute_position_bias and
// added in every layer), MPNetPooler as BERT's; MPNetLMHead (`lm_head`: dense → exact gelu →
// layer_norm → decoder, tied as RobertaLMHead), MPNetClassificationHead (`classifier.dense` → tanh →
// `classifier.out_proj` on `<s>`, no pooler), MPNetForMultipleChoice (`classifier` on the pooler),
// token classification and QA as BERT's. configuration_mpnet.py: vocab_size 30527, pad_token_id 1,
// relative_attention_num_buckets 32, no type_vocab_size. No causal-LM class exists.
extension EncoderFamily {
    public static let mpnet: EncoderFamily = {
        let roberta = EncoderFamily.robertaLike(modelType: "mpnet", displayName: "MPNet", classPrefix: "MPNet", defaults: [:])
        var f = EncoderFamily(
            modelType: "mpnet", displayName: "MPNet", classPrefix: "MPNet", heads: roberta.heads, refusedClasses: [:],
            prefix: "mpnet", keras: true, embeddings: EmbeddingsLayout(positions: .fromPaddingMask, tokenTypes: false),
            headLayouts: roberta.headLayouts, maskedLM: roberta.maskedLM,
            config: ConfigSchema(keys: [:], defaults: ["vocab_size": 30527, "pad_token_id": 1]))
        // BERT's module names for the taps (`attention`, `intermediate`, `output`); no MPNet module
        // returns the attention context (`attention.attn` is `o`'s output), so there is no `attention.self` tap.
        f.layers = LayerNames(scope: "encoder.layer", parameters: [
            .queryWeight: "attention.attn.q.weight", .queryBias: "attention.attn.q.bias",
            .keyWeight: "attention.attn.k.weight", .keyBias: "attention.attn.k.bias",
            .valueWeight: "attention.attn.v.weight", .valueBias: "attention.attn.v.bias",
            .attentionOutputWeight: "attention.attn.o.weight", .attentionOutputBias: "attention.attn.o.bias",
            .attentionNormWeight: "attention.LayerNorm.weight", .attentionNormBias: "attention.LayerNorm.bias",
        ], taps: [:])
        f.relativeAttention = RelativeAttentionBias()
        return f
    }()
}

/// MPNet's relative position bias (modeling_mpnet.py, MPNetEncoder.compute_position_bias and
/// relative_position_bucket): the score of query i for key j gets `table[bucket(j − i), head]`,
/// positions being 0..<S whatever the padding. Half the buckets are for keys before the query,
/// half for keys after; within each half distances below `maxExact` have their own bucket and
/// longer ones share log-spaced buckets up to `maxDistance`.
public struct RelativeAttentionBias: Sendable, Equatable {
    /// compute_position_bias's `num_buckets` (fixed at 32: it does not read the config).
    public let buckets = 32
    public let maxDistance = 128

    public init() {}

    /// The bucket of key position minus query position, as relative_position_bucket computes it
    /// (its log in f32, truncated toward zero, as `.to(torch.long)`).
    public func bucket(relative: Int) -> Int {
        let half = buckets / 2, maxExact = half / 2
        var n = -relative
        var ret = 0
        if n < 0 { ret += half }
        n = abs(n)
        if n < maxExact { return ret + n }
        // torch: log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact),
        // each op in f32 (the Python float is a scalar of the f32 tensor's type).
        let ratio = Float(n) / Float(maxExact)
        let scaled = logf(ratio) / Float(log(Double(maxDistance) / Double(maxExact))) * Float(half - maxExact)
        return ret + min(maxExact + Int(scaled), half - 1)
    }
}
