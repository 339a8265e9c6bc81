/// Every spelling a checkpoint may give a BERT parameter, mapped onto `BertParameter` here and
/// nowhere else: transformers' `state_dict` names (with or without the `bert.` prefix, old
/// `gamma`/`beta` LayerNorm names) and Keras `tf_model.h5` paths.
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

    /// Maps a PyTorch/safetensors/HDF5 (`state_dict`) name.
    public static func map(huggingFace name: String) -> Mapping {
        var n = name
        for p in ["bert.", "model.bert.", "model."] where n.hasPrefix(p) {
            n.removeFirst(p.count)
            break
        }
        if n == "embeddings.position_ids" || n.hasSuffix(".position_ids") || n == "embeddings.token_type_ids" { return .ignoredBuffer }
        if n.hasSuffix("LayerNorm.gamma") { n = String(n.dropLast(5)) + "weight" }
        if n.hasSuffix("LayerNorm.beta") { n = String(n.dropLast(4)) + "bias" }
        return BertParameter(name: n).map { .parameter($0, transposed: false) } ?? .unexpected
    }

    /// The layer a `state_dict` name belongs to (`encoder.layer.3.…` → 3), whether or not the
    /// rest of the name is a parameter.
    public static func layerIndex(huggingFace name: String) -> Int? {
        let parts = name.split(separator: ".")
        guard let k = parts.firstIndex(of: "layer"), k > 0, parts[k - 1] == "encoder", k + 1 < parts.count else { return nil }
        return Int(parts[k + 1])
    }

    /// Maps a Keras `tf_model.h5` weight name such as
    /// `tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0` or
    /// `tf_bert_for_pre_training/mlm___cls/predictions/transform/dense/kernel:0`.
    public static func map(keras name: String) -> Mapping {
        var parts = name.split(separator: "/").map(String.init)
        if let last = parts.last, let colon = last.lastIndex(of: ":") { parts[parts.count - 1] = String(last[..<colon]) }
        // Drop the model's own scope ("tf_bert_model", "tf_bert_for_sequence_classification", or a
        // user's Keras model name), as transformers' TF loader drops the first component.
        if parts.count > 2, let first = parts.first, !kerasTopLevel.contains(first) { parts.removeFirst() }
        if parts.first == "bert" { parts.removeFirst() }
        // TFBertForPreTraining / ForMaskedLM / ForNextSentencePrediction scope their heads so.
        if parts.first == "mlm___cls" || parts.first == "nsp___cls" { parts[0] = "cls" }
        var transposed = false
        var out: [String] = []
        for (k, p) in parts.enumerated() {
            if p.hasPrefix("layer_._"), let i = Int(p.dropFirst(8)) { out += ["layer", String(i)]; continue }
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
        let n = out.joined(separator: ".")
        if n == "embeddings.position_ids" { return .ignoredBuffer }
        return BertParameter(name: n).map { .parameter($0, transposed: transposed) } ?? .unexpected
    }

    /// First components of a Keras weight name that belong to BERT itself, not to a model scope.
    static let kerasTopLevel: Set<String> = ["bert", "embeddings", "encoder", "pooler", "classifier", "qa_outputs", "cls",
                                             "mlm___cls", "nsp___cls"]

    /// The name transformers gives `p` in a checkpoint: `BertFor…` classes put the encoder (and
    /// pooler) under `bert.`; `BertModel` does not; heads are never prefixed.
    public static func huggingFaceName(_ p: BertParameter, prefixed: Bool) -> String {
        if case .head = p { return p.name }
        return prefixed ? "bert." + p.name : p.name
    }
}
