/// The one table of BERT parameter names. Canonical names are transformers' `BertModel` names
/// (`encoder.layer.3.attention.self.query.weight`) plus `classifier.{weight,bias}`; every other
/// spelling a checkpoint may use is mapped here and nowhere else.
/// Shapes follow `models/bert/modeling_bert.py` (Linear weights are `[out, in]`).
public enum WeightNames {
    /// What a name found in a checkpoint is.
    public enum Mapping: Equatable, Sendable {
        /// A BERT parameter, by its canonical name. `transposed` when the file stores `[in, out]`
        /// (Keras kernels).
        case parameter(String, transposed: Bool)
        /// A buffer transformers keeps but bertkit derives (`embeddings.position_ids`).
        case ignoredBuffer
        /// A pre-training head (`cls.*`): reported as unused, like transformers does.
        case unusedHead
        /// Not a BERT name at all: reported as unexpected.
        case unexpected
    }

    /// Maps a PyTorch/safetensors/HDF5 (`state_dict`) name.
    public static func map(huggingFace name: String) -> Mapping {
        var n = name
        for p in ["bert.", "model.bert.", "model."] where n.hasPrefix(p) {
            n.removeFirst(p.count)
            break
        }
        if n.hasPrefix("cls.") { return .unusedHead }
        if n == "embeddings.position_ids" || n.hasSuffix(".position_ids") { return .ignoredBuffer }
        if n.hasSuffix("LayerNorm.gamma") { n = String(n.dropLast(5)) + "weight" }
        if n.hasSuffix("LayerNorm.beta") { n = String(n.dropLast(4)) + "bias" }
        return isCanonical(n) ? .parameter(n, transposed: false) : .unexpected
    }

    /// Maps a Keras `tf_model.h5` weight name such as
    /// `tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0`.
    public static func map(keras name: String) -> Mapping {
        var parts = name.split(separator: "/").map(String.init)
        if let last = parts.last, let colon = last.lastIndex(of: ":") { parts[parts.count - 1] = String(last[..<colon]) }
        // Drop the model's own scope ("tf_bert_model", "tf_bert_for_sequence_classification", or a
        // user's Keras model name), as transformers' TF loader drops the first component.
        if parts.count > 2, let first = parts.first, !kerasTopLevel.contains(first) { parts.removeFirst() }
        if parts.first == "bert" { parts.removeFirst() }
        if parts.first?.hasPrefix("mlm___cls") == true || parts.first?.hasPrefix("nsp___cls") == true
            || parts.first == "cls" || parts.first?.hasPrefix("predictions") == true { return .unusedHead }
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
        return isCanonical(n) ? .parameter(n, transposed: transposed) : .unexpected
    }

    /// First components of a Keras weight name that belong to BERT itself, not to a model scope.
    static let kerasTopLevel: Set<String> = ["bert", "embeddings", "encoder", "pooler", "classifier", "cls", "mlm___cls", "nsp___cls"]

    /// The HuggingFace name of a canonical name in a checkpoint of `architecture`: `BertFor…`
    /// classes put the encoder under `bert.`; `BertModel` does not.
    public static func huggingFaceName(_ canonical: String, prefixed: Bool) -> String {
        prefixed && !canonical.hasPrefix("classifier.") ? "bert." + canonical : canonical
    }

    public static func isCanonical(_ n: String) -> Bool {
        if embeddingNames.contains(n) || poolerNames.contains(n) || classifierNames.contains(n) { return true }
        let p = n.split(separator: ".", maxSplits: 3)
        guard p.count == 4, p[0] == "encoder", p[1] == "layer", let i = Int(p[2]), i >= 0, String(i) == p[2] else { return false }
        return layerSuffixes.contains(String(p[3]))
    }

    public static let embeddingNames = [
        "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
    ]
    public static let layerSuffixes = [
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias",
    ]
    public static let poolerNames = ["pooler.dense.weight", "pooler.dense.bias"]
    public static let classifierNames = ["classifier.weight", "classifier.bias"]

    /// Every parameter a model of `config` has, in forward order, with its shape.
    public static func parameters(for c: BertConfig, pooler: Bool, classifier: Bool) -> [(name: String, shape: [Int])] {
        let h = c.hiddenSize, i = c.intermediateSize
        var out: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [c.vocabSize, h]),
            ("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h]),
            ("embeddings.token_type_embeddings.weight", [c.typeVocabSize, h]),
            ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h]),
        ]
        for l in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            for m in ["query", "key", "value"] {
                out += [(p + "attention.self.\(m).weight", [h, h]), (p + "attention.self.\(m).bias", [h])]
            }
            out += [
                (p + "attention.output.dense.weight", [h, h]), (p + "attention.output.dense.bias", [h]),
                (p + "attention.output.LayerNorm.weight", [h]), (p + "attention.output.LayerNorm.bias", [h]),
                (p + "intermediate.dense.weight", [i, h]), (p + "intermediate.dense.bias", [i]),
                (p + "output.dense.weight", [h, i]), (p + "output.dense.bias", [h]),
                (p + "output.LayerNorm.weight", [h]), (p + "output.LayerNorm.bias", [h]),
            ]
        }
        if pooler { out += [("pooler.dense.weight", [h, h]), ("pooler.dense.bias", [h])] }
        if classifier { out += [("classifier.weight", [c.numLabels, h]), ("classifier.bias", [c.numLabels])] }
        return out
    }
}
