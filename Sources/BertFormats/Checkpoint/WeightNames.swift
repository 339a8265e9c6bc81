/// Every spelling a checkpoint may give a parameter, mapped onto `BertParameter` here and nowhere
/// else: transformers' `state_dict` names (with or without the family's prefix, `bert.` or
/// `roberta.`; old `gamma`/`beta` LayerNorm names; the family's head names from its
/// `EncoderFamily`) and Keras `tf_model.h5` paths.
public enum WeightNames {
    /// What a name found in a checkpoint is.
    public enum Mapping: Equatable, Sendable {
        /// A BERT parameter. `transposed` when the file stores `[in, out]` (Keras kernels).
        case parameter(BertParameter, transposed: Bool)
        /// A buffer transformers keeps but bertkit derives (`embeddings.position_ids`).
        case ignoredBuffer
        /// Not a BERT name at all.
        case unexpected
    }

    /// Maps a PyTorch/safetensors/HDF5 (`state_dict`) name of a `family` checkpoint.
    /// `innerLayers`: config.json's `inner_group_num` (ALBERT's layers per group; 1 elsewhere).
    public static func map(huggingFace name: String, family: EncoderFamily = .bert, innerLayers: Int = 1) -> Mapping {
        let n = spelling(huggingFace: name, family: family)
        if n == "embeddings.position_ids" || n.hasSuffix(".position_ids") || n == "embeddings.token_type_ids" { return .ignoredBuffer }
        return canonical(n, family: family, innerLayers: innerLayers).map { .parameter($0, transposed: false) } ?? .unexpected
    }

    /// A `state_dict` name without the family's prefix and with `weight`/`bias` for old LayerNorm
    /// `gamma`/`beta`: what `EncoderFamily.huggingFaceName` spells.
    public static func spelling(huggingFace name: String, family: EncoderFamily) -> String {
        var n = name
        for p in [family.prefix + ".", "model." + family.prefix + ".", "model."] where n.hasPrefix(p) {
            n.removeFirst(p.count)
            break
        }
        if n.hasSuffix("LayerNorm.gamma") { n = String(n.dropLast(5)) + "weight" }
        if n.hasSuffix("LayerNorm.beta") { n = String(n.dropLast(4)) + "bias" }
        return n
    }

    /// The parameter an unprefixed name of `family` spells: the family's encoder names (BERT's, or
    /// `family.layers`' `transformer.layer.N.attention.q_lin.weight`), or one of its head spellings
    /// (`lm_head.dense.weight`, `classifier.out_proj.weight`). A token-type table in a family without
    /// token types is no parameter.
    static func canonical(_ n: String, family: EncoderFamily, innerLayers: Int = 1) -> BertParameter? {
        if let h = family.headSpellings()[n] { return .head(h) }
        if let p = family.layers.parameter(n, innerLayers: innerLayers) { return p }
        if let (p, _) = family.encoderNames.first(where: { $0.value == n }) { return p }
        guard let p = BertParameter(name: n), family.encoderNames[p] == nil else { return nil }
        switch p {
        case .head: return nil
        case .layer: return family.layers == .bert ? p : nil
        case .embeddings(.tokenType): return family.embeddings.tokenTypes ? p : nil
        case .relativeAttentionBias: return family.relativeAttention != nil ? p : nil
        default: return p
        }
    }

    /// Tries every family: for messages about a name whose family is not at hand.
    public static func mapAnyFamily(huggingFace name: String) -> Mapping {
        for f in EncoderFamily.all { if case .parameter(let p, let t) = map(huggingFace: name, family: f) { return .parameter(p, transposed: t) } }
        return .unexpected
    }

    /// The config keys giving a `state_dict` name's dimensions, in the spelling of the family the name
    /// is most likely from (its prefix's, else the first that maps it): `dim × dim` for DistilBERT,
    /// `vocab_size × embedding_size` for ELECTRA's embeddings.
    public static func configKeys(huggingFace name: String) -> [String]? {
        let families = EncoderFamily.all.filter { name.hasPrefix($0.prefix + ".") } + EncoderFamily.all
        for f in families {
            if case .parameter(let p, _) = map(huggingFace: name, family: f) { return p.configKeys(family: f)?.map(f.config.key) }
        }
        return nil
    }

    /// The layer a `state_dict` name belongs to (`encoder.layer.3.…`, DistilBERT's
    /// `transformer.layer.3.…` → 3), whether or not the rest of the name is a parameter.
    public static func layerIndex(huggingFace name: String) -> Int? {
        let parts = name.split(separator: ".")
        let scopes = Set(EncoderFamily.all.map { $0.layers.scope.split(separator: ".").first! })
        guard let k = parts.firstIndex(of: "layer"), k > 0, scopes.contains(parts[k - 1]), k + 1 < parts.count else { return nil }
        return Int(parts[k + 1])
    }

    /// Maps a Keras `tf_model.h5` weight name such as
    /// `tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0` or
    /// `tf_bert_for_pre_training/mlm___cls/predictions/transform/dense/kernel:0`.
    public static func map(keras name: String, family: EncoderFamily = .bert, innerLayers: Int = 1) -> Mapping {
        let (n, transposed) = spelling(keras: name, family: family)
        if n == "embeddings.position_ids" { return .ignoredBuffer }
        return canonical(n, family: family, innerLayers: innerLayers).map { .parameter($0, transposed: transposed) } ?? .unexpected
    }

    /// A Keras name as the `state_dict` name it stands for (unprefixed), and whether the tensor is a
    /// kernel stored `[in, out]`.
    public static func spelling(keras name: String, family: EncoderFamily) -> (name: String, transposed: Bool) {
        var parts = name.split(separator: "/").map(String.init)
        if let last = parts.last, let colon = last.lastIndex(of: ":") { parts[parts.count - 1] = String(last[..<colon]) }
        // Drop the model's own scope ("tf_bert_model", "tf_roberta_for_sequence_classification", or a
        // user's Keras model name), as transformers' TF loader drops the first component.
        if parts.count > 2, let first = parts.first, !kerasTopLevel.contains(first), first != family.prefix { parts.removeFirst() }
        if parts.first == family.prefix { parts.removeFirst() }
        // TFBertForPreTraining / ForMaskedLM / ForNextSentencePrediction scope their heads so.
        if parts.first == "mlm___cls" || parts.first == "nsp___cls" { parts[0] = "cls" }
        var transposed = false
        var out: [String] = []
        for (k, p) in parts.enumerated() {
            // Keras list items: `layer_._3` (BERT), `albert_layer_groups_._1` / `albert_layers_._0` (ALBERT).
            if let r = p.range(of: "_._"), let i = Int(p[r.upperBound...]), i >= 0 { out += [String(p[..<r.lowerBound]), String(i)]; continue }
            if k == parts.count - 1 {
                switch p {
                case "kernel": out.append("weight"); transposed = true
                case "gamma", "weight", "embeddings": out.append("weight")
                case "beta", "bias": out.append("bias")
                default: out.append(p)
                }
                continue
            }
            out.append(p)
        }
        return (out.joined(separator: "."), transposed)
    }

    /// First components of a Keras weight name that belong to BERT itself, not to a model scope.
    static let kerasTopLevel: Set<String> = ["bert", "embeddings", "encoder", "pooler", "classifier", "qa_outputs", "cls",
                                             "mlm___cls", "nsp___cls", "lm_head", "embeddings_project", "generator_predictions",
                                             "generator_lm_head", "sequence_summary", "predictions", "sop_classifier"]

    /// The name transformers gives `p` in a checkpoint of `family` with `head`: `…For…` classes put
    /// the encoder (and pooler) under the family's prefix (`bert.`, `roberta.`); the bare encoder
    /// class does not; heads are never prefixed and take the family's spelling.
    public static func huggingFaceName(_ p: BertParameter, prefixed: Bool, family: EncoderFamily = .bert,
                                       head: HeadKind = .none, innerLayers: Int = 1) -> String {
        if case .head(let h) = p { return family.huggingFaceName(h, head: head) }
        let n = if case .layer(let i, let l) = p { family.layers.path(i, innerLayers: innerLayers) + "." + family.layers.name(l) }
            else { family.encoderNames[p] ?? p.name }
        return prefixed ? family.prefix + "." + n : n
    }
}
