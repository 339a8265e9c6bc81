import Foundation

/// The activation a BERT feed-forward block uses (`hidden_act`).
public enum HiddenActivation: String, Sendable, CaseIterable, Codable {
    /// The exact erf form, `x · Φ(x)`.
    case gelu
    /// The tanh approximation; transformers calls it `gelu_new` and `gelu_pytorch_tanh`.
    case geluTanh = "gelu_new"
    case relu
    case silu

    public init?(huggingFaceName s: String) {
        switch s {
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }
}

/// What the model's head predicts, as transformers' `problem_type`.
public enum ProblemType: String, Sendable, Codable {
    case singleLabel = "single_label_classification"
    case multiLabel = "multi_label_classification"
    case regression
}

/// An encoder's `config.json` (any `EncoderFamily`; the fields are BERT's, read under the family's
/// keys and defaults): every field that changes numbers or shapes, typed and validated.
/// Keys bertkit does not know are kept in `raw`, in file order, so converting back keeps them.
/// Mirrors transformers' `models/bert/configuration_bert.py`.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    /// The embeddings' width (ELECTRA's `embedding_size`); hidden_size in families without the key.
    public var embeddingSize: Int
    public var numHiddenLayers: Int
    /// ALBERT's cross-layer sharing (`num_hidden_groups`, `inner_group_num`): the forward runs
    /// `numHiddenLayers` steps, step i running group `i / (numHiddenLayers / numHiddenGroups)`, and a
    /// group runs its `innerGroupNum` stored layers in order. Elsewhere every step is its own layer
    /// (numHiddenGroups = numHiddenLayers, innerGroupNum = 1).
    public var numHiddenGroups: Int
    public var innerGroupNum: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: HiddenActivation
    /// The spelling the file used (`gelu_pytorch_tanh` and `gelu_new` compute the same).
    public var hiddenActName: String
    public var layerNormEps: Double
    public var maxPositionEmbeddings: Int
    /// 1 in families without a token-type table (MPNet, DistilBERT: the key is not read; only type 0 exists).
    public var typeVocabSize: Int
    public var padTokenId: Int
    public var initializerRange: Double
    public var hiddenDropoutProb: Double
    public var attentionProbsDropoutProb: Double
    public var classifierDropout: Double?
    /// SequenceSummary's dropout before and after its dense (`summary_first_dropout`,
    /// `summary_last_dropout`), for heads whose `ClassifierLayout.dropout` is `.sequenceSummary`.
    public var summaryFirstDropout: Double
    public var summaryLastDropout: Double
    /// The family's own dropout keys (`DropoutSchema.keys`: DistilBERT's `qa_dropout`) → rate.
    public var familyDropout: [String: Double] = [:]
    public var architectures: [String]
    public var modelType: String
    /// Whether the MLM decoder shares the word-embedding matrix (`tie_word_embeddings`, default true).
    public var tieWordEmbeddings: Bool
    public var problemType: ProblemType?
    /// Label names by class index; `numLabels == id2label.count`.
    public var id2label: [String]
    /// The whole file, with every key, in order. Typed fields win when saving.
    public var raw: JSONObject

    public var headSize: Int { hiddenSize / numAttentionHeads }
    /// How many layers the forward applies (activations, taps, dropout sites are per applied layer):
    /// num_hidden_layers × inner_group_num.
    public var appliedLayers: Int { numHiddenLayers * innerGroupNum }
    /// How many layers the checkpoint stores (`BertParameter.layer(k, …)`, k < storedLayers).
    public var storedLayers: Int { numHiddenGroups * innerGroupNum }
    /// The stored layer applied layer `a` reads (modeling_albert.py, AlbertTransformer.forward:
    /// `group_idx = int(i / (num_hidden_layers / num_hidden_groups))`, then the group's layers in order).
    public func storedLayer(forLayer a: Int) -> Int {
        let step = a / innerGroupNum, inner = a % innerGroupNum
        return step / (numHiddenLayers / numHiddenGroups) * innerGroupNum + inner
    }
    /// Whether the embeddings go through `embeddings_project` (ELECTRA with embedding_size ≠ hidden_size;
    /// ALBERT's `embedding_hidden_mapping_in` always).
    public var projectsEmbeddings: Bool { embeddingSize != hiddenSize || family.config.alwaysProjects }
    /// The masked-LM transform's output width (its LayerNorm, the decoder's input): MaskedLMLayout.width.
    public var maskedLMWidth: Int { family.maskedLM.width == .embeddingSize ? embeddingSize : hiddenSize }
    public var numLabels: Int { id2label.count }
    public var label2id: [String: Int] { Dictionary(id2label.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }

    public static let supportedPositionEmbeddings = ["absolute"]

    /// Reads and validates a `config.json`.
    public init(contentsOf path: String) throws {
        guard case .object(let o) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an object")
        }
        try self.init(json: o, file: path)
    }

    public init(json o: JSONObject, file: String) throws {
        let r = ConfigReader(o: o, file: file)
        // First: an unknown family's config would otherwise fail on a key BERT reads differently.
        modelType = try r.string("model_type", default: "bert")
        guard let family = EncoderFamily.named(modelType) else {
            let supported = EncoderFamily.supportedModelTypes.map { "\"\($0)\"" }.joined(separator: ", ")
            if let name = EncoderFamily.notYetSupported[modelType] {
                throw ConfigError(file: file, key: "model_type", "\"\(modelType)\" (\(name)) is not supported yet; bertkit supports \(supported)")
            }
            throw ConfigError(file: file, key: "model_type", "\"\(modelType)\" is not supported; bertkit supports \(supported)")
        }
        // The family's spelling and defaults (configuration_roberta.py: pad_token_id 1, …).
        let k = family.config
        vocabSize = try r.positiveInt(k.key("vocab_size"), default: k.intDefault("vocab_size", 30522))
        hiddenSize = try r.positiveInt(k.key("hidden_size"), default: k.intDefault("hidden_size", 768))
        embeddingSize = k.embeddingSize ? try r.positiveInt("embedding_size", default: k.intDefault("embedding_size", 128)) : hiddenSize
        numHiddenLayers = try r.positiveInt(k.key("num_hidden_layers"), default: k.intDefault("num_hidden_layers", 12))
        if k.layerGroups {
            numHiddenGroups = try r.positiveInt("num_hidden_groups", default: 1)
            innerGroupNum = try r.positiveInt("inner_group_num", default: 1)
            guard numHiddenLayers % numHiddenGroups == 0 else {
                throw ConfigError(file: file, key: "num_hidden_groups",
                                  "\(numHiddenGroups) does not divide num_hidden_layers \(numHiddenLayers): each group must run as many layers")
            }
        } else {
            (numHiddenGroups, innerGroupNum) = (numHiddenLayers, 1)
        }
        numAttentionHeads = try r.positiveInt(k.key("num_attention_heads"), default: k.intDefault("num_attention_heads", 12))
        intermediateSize = try r.positiveInt(k.key("intermediate_size"), default: k.intDefault("intermediate_size", 3072))
        hiddenActName = try r.string(k.key("hidden_act"), default: k.hiddenAct)
        guard let act = HiddenActivation(huggingFaceName: hiddenActName) else {
            throw ConfigError(file: file, key: k.key("hidden_act"),
                              "unsupported activation \"\(hiddenActName)\"; bertkit supports gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish")
        }
        hiddenAct = act
        // A field the family has no key for (DistilBERT's eps, fixed at 1e-12) is its default whatever the file says.
        func present(_ field: String) -> String? { k.absent.contains(field) ? nil : k.key(field) }
        layerNormEps = try present("layer_norm_eps").map { try r.positiveDouble($0, default: k.doubleDefault("layer_norm_eps", 1e-12)) }
            ?? k.doubleDefault("layer_norm_eps", 1e-12)
        maxPositionEmbeddings = try r.positiveInt(k.key("max_position_embeddings"), default: k.intDefault("max_position_embeddings", 512))
        // Families without a token-type table (DistilBERT, MPNet) have only type 0: the key is not read.
        typeVocabSize = family.embeddings.tokenTypes
            ? try r.positiveInt(k.key("type_vocab_size"), default: k.intDefault("type_vocab_size", 2)) : 1
        if let rel = family.relativeAttention {
            // MPNetEncoder.compute_position_bias buckets into 32 whatever the config says: a table of
            // another size is either indexed past its end or partly unused.
            let n = try r.positiveInt("relative_attention_num_buckets", default: rel.buckets)
            guard n == rel.buckets else {
                throw ConfigError(file: file, key: "relative_attention_num_buckets",
                                  "\(n), but \(family) buckets relative positions into \(rel.buckets) (compute_position_bias)")
            }
        }
        // null: no padding index (transformers' nn.Embedding(padding_idx=None)); 0 serves as well. A
        // family whose positions count from the padding id needs one.
        let nullablePad = family.embeddings.positions == .absolute
        padTokenId = try r.int("pad_token_id", default: k.intDefault("pad_token_id", 0), nullable: nullablePad)
        initializerRange = try r.positiveDouble("initializer_range", default: 0.02)
        hiddenDropoutProb = try r.probability(k.key("hidden_dropout_prob"), default: k.doubleDefault("hidden_dropout_prob", 0.1))
        attentionProbsDropoutProb = try r.probability(k.key("attention_probs_dropout_prob"),
                                                      default: k.doubleDefault("attention_probs_dropout_prob", 0.1))
        classifierDropout = try r.optionalProbability(k.key("classifier_dropout")) ?? k.defaults["classifier_dropout"]
        summaryFirstDropout = try r.probability("summary_first_dropout", default: k.doubleDefault("summary_first_dropout", 0))
        summaryLastDropout = try r.probability("summary_last_dropout", default: k.doubleDefault("summary_last_dropout", 0))
        for key in k.dropout.keys { familyDropout[key] = try r.probability(key, default: k.doubleDefault(key, 0.1)) }
        // Settings of the family's heads bertkit implements one way only (ELECTRA's SequenceSummary).
        for (key, want) in k.fixed.sorted(by: { $0.key < $1.key }) {
            guard let v = o[key], v != want else { continue }
            throw ConfigError(file: file, key: key, "is \(v.serialized(indent: 0)); bertkit implements \(family)'s \(key) \(want.serialized(indent: 0)) only")
        }
        architectures = try r.stringArray("architectures")
        tieWordEmbeddings = try r.bool("tie_word_embeddings", default: true)
        if !tieWordEmbeddings, let why = k.untiedRefusal {
            throw ConfigError(file: file, key: "tie_word_embeddings", "is false: \(why)")
        }
        // null: transformers' BertSelfAttention falls back to absolute.
        let pet = try r.string("position_embedding_type", default: "absolute", nullable: true)
        guard Self.supportedPositionEmbeddings.contains(pet) else {
            throw ConfigError(file: file, key: "position_embedding_type",
                              "unsupported \"\(pet)\"; bertkit supports only \"absolute\" (plain BERT)")
        }
        if let p = o["problem_type"], !p.isNull {
            guard let s = p.stringValue, let t = ProblemType(rawValue: s) else {
                throw ConfigError(file: file, key: "problem_type",
                                  "expected single_label_classification, multi_label_classification or regression, found \(p.kind)")
            }
            problemType = t
        } else {
            problemType = nil
        }
        id2label = try r.labels()
        raw = o
        guard hiddenSize % numAttentionHeads == 0 else {
            let (h, n) = (k.key("hidden_size"), k.key("num_attention_heads"))
            // DistilBERT names the heads key (MultiHeadSelfAttention: "n_heads must divide dim"); BERT the hidden size.
            throw ConfigError(file: file, key: k.keys["num_attention_heads"] == nil ? h : n,
                              "\(h) \(hiddenSize) is not a multiple of \(n) \(numAttentionHeads)")
        }
        guard padTokenId >= 0, padTokenId < vocabSize else {
            throw ConfigError(file: file, key: "pad_token_id", "\(padTokenId) is outside the vocabulary (vocab_size \(vocabSize))")
        }
        if family.embeddings.positions == .fromPaddingMask, maxPositionEmbeddings <= padTokenId + 1 {
            throw ConfigError(file: file, key: "max_position_embeddings",
                              "\(maxPositionEmbeddings) leaves no position for a token: \(family) positions start at pad_token_id + 1 = \(padTokenId + 1)")
        }
        // A decoder (RobertaForCausalLM's config) attends causally and may cross-attend: not an encoder.
        for key in ["is_decoder", "add_cross_attention"] {
            guard try r.bool(key, default: false) else { continue }
            throw ConfigError(file: file, key: key, "is true: a decoder; bertkit runs \(family) as an encoder (\(key) false)")
        }
    }

    /// The family config.json's `model_type` names (checked when the config was read).
    public var family: EncoderFamily {
        guard let f = EncoderFamily.named(modelType) else { preconditionFailure("model_type \(modelType) has no family") }
        return f
    }

    /// The longest row the position table serves: `max_position_embeddings`, or for positions counted
    /// from the padding id (RoBERTa) `max_position_embeddings − pad_token_id − 1`.
    public var maxSequenceLength: Int {
        switch family.embeddings.positions {
        case .absolute: maxPositionEmbeddings
        case .fromPaddingMask: maxPositionEmbeddings - padTokenId - 1
        }
    }

    /// The config as transformers writes it: the original keys in order, typed fields updated.
    public var json: JSONObject {
        var o = raw
        let k = family.config
        o[k.key("vocab_size")] = .int(vocabSize)
        o[k.key("hidden_size")] = .int(hiddenSize)
        if k.embeddingSize { o["embedding_size"] = .int(embeddingSize) }
        o[k.key("num_hidden_layers")] = .int(numHiddenLayers)
        if k.layerGroups { (o["num_hidden_groups"], o["inner_group_num"]) = (.int(numHiddenGroups), .int(innerGroupNum)) }
        o[k.key("num_attention_heads")] = .int(numAttentionHeads)
        o[k.key("intermediate_size")] = .int(intermediateSize)
        o[k.key("hidden_act")] = .string(hiddenActName)
        o[k.key("max_position_embeddings")] = .int(maxPositionEmbeddings)
        if family.embeddings.tokenTypes, !k.absent.contains("type_vocab_size") { o[k.key("type_vocab_size")] = .int(typeVocabSize) }
        o["pad_token_id"] = .int(padTokenId)
        if !k.absent.contains("layer_norm_eps"), o[k.key("layer_norm_eps")]?.doubleValue != layerNormEps {
            o[k.key("layer_norm_eps")] = .double(layerNormEps)
        }
        if !architectures.isEmpty { o["architectures"] = .array(architectures.map { .string($0) }) }
        o["model_type"] = .string(modelType)
        if let p = problemType { o["problem_type"] = .string(p.rawValue) }
        if !id2label.isEmpty {
            o["id2label"] = .object(Self.keepingOrder(raw["id2label"], JSONObject(id2label.enumerated().map { (String($0), .string($1)) })))
            o["label2id"] = .object(Self.keepingOrder(raw["label2id"], JSONObject(id2label.enumerated().map { ($1, .int($0)) })))
        }
        return o
    }

    /// `raw` when it already says `wanted` in another key order, else `wanted`. transformers writes
    /// the label maps sorted by key ("0", "1", "10", "2", …; names alphabetically), so keeping the
    /// file's own order is what makes a config round trip byte-identical.
    static func keepingOrder(_ raw: JSONValue?, _ wanted: JSONObject) -> JSONObject {
        guard let r = raw?.objectValue, r.count == wanted.count, wanted.allSatisfy({ r[$0.key] == $0.value }) else { return wanted }
        return r
    }
}

/// Typed reads of config keys with errors that name the key.
private struct ConfigReader {
    let o: JSONObject
    let file: String

    func fail(_ key: String, _ problem: String) -> ConfigError { ConfigError(file: file, key: key, problem) }

    /// The key's value; nil when absent, or null where null means "unset" (`nullable`). Elsewhere
    /// transformers would carry the None into the model and fail there, so null is refused here.
    func value(_ key: String, nullable: Bool, expected: String) throws -> JSONValue? {
        guard let v = o[key] else { return nil }
        if v.isNull {
            guard nullable else { throw fail(key, "is null; expected \(expected)") }
            return nil
        }
        return v
    }

    func int(_ key: String, default d: Int, nullable: Bool = false) throws -> Int {
        guard let v = try value(key, nullable: nullable, expected: "an integer") else { return d }
        guard let i = v.intValue else { throw fail(key, "expected an integer, found \(v.kind)") }
        return i
    }

    func positiveInt(_ key: String, default d: Int) throws -> Int {
        guard let v = try value(key, nullable: false, expected: "a positive integer") else { return d }
        guard let i = v.intValue else { throw fail(key, "expected an integer, found \(v.kind)") }
        guard i > 0 else { throw fail(key, "must be positive, found \(i)") }
        guard i <= 1 << 24 else { throw fail(key, "\(i) is implausibly large (over 16,777,216)") }
        return i
    }

    func double(_ key: String, default d: Double, nullable: Bool = false) throws -> Double {
        guard let v = try value(key, nullable: nullable, expected: "a number") else { return d }
        guard let x = v.doubleValue, x.isFinite else { throw fail(key, "expected a number, found \(v.kind)") }
        return x
    }

    func positiveDouble(_ key: String, default d: Double) throws -> Double {
        let x = try double(key, default: d)
        guard x > 0 else { throw fail(key, "must be positive, found \(x)") }
        return x
    }

    func probability(_ key: String, default d: Double) throws -> Double {
        let x = try double(key, default: d)
        guard (0...1).contains(x) else { throw fail(key, "must be between 0 and 1, found \(x)") }
        return x
    }

    /// `classifier_dropout`: null means "use hidden_dropout_prob", as in transformers.
    func optionalProbability(_ key: String) throws -> Double? {
        guard let v = o[key], !v.isNull else { return nil }
        return try probability(key, default: 0)
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = try value(key, nullable: false, expected: "true or false") else { return d }
        guard let b = v.boolValue else { throw fail(key, "expected true or false, found \(v.kind)") }
        return b
    }

    func string(_ key: String, default d: String, nullable: Bool = false) throws -> String {
        guard let v = try value(key, nullable: nullable, expected: "a string") else { return d }
        guard let s = v.stringValue else { throw fail(key, "expected a string, found \(v.kind)") }
        return s
    }

    func stringArray(_ key: String) throws -> [String] {
        guard let v = o[key], !v.isNull else { return [] }
        guard let a = v.arrayValue else { throw fail(key, "expected an array of strings, found \(v.kind)") }
        return try a.enumerated().map { k, e in
            guard let s = e.stringValue else { throw fail("\(key).\(k)", "expected a string, found \(e.kind)") }
            return s
        }
    }

    /// `id2label` (keys "0".."n-1"), else `num_labels`, else 2 for classifiers as transformers does.
    func labels() throws -> [String] {
        var count: Int?
        if let n = o["num_labels"], !n.isNull {
            guard let i = n.intValue, i > 0 else { throw fail("num_labels", "expected a positive integer, found \(n.kind)") }
            count = i
        }
        if let v = o["id2label"], !v.isNull {
            guard let m = v.objectValue else { throw fail("id2label", "expected an object, found \(v.kind)") }
            var names = [String?](repeating: nil, count: m.count)
            for (k, name) in m {
                guard let i = Int(k), i >= 0, i < m.count else {
                    throw fail("id2label.\(k)", "keys must be the class indices 0..\(m.count - 1)")
                }
                guard let s = name.stringValue else { throw fail("id2label.\(k)", "expected a string, found \(name.kind)") }
                names[i] = s
            }
            if let c = count, c != m.count {
                throw fail("num_labels", "says \(c) but id2label has \(m.count) entries")
            }
            if let l2i = o["label2id"]?.objectValue {
                for (name, idx) in l2i where idx.intValue.map({ $0 < 0 || $0 >= names.count || names[$0] != name }) ?? true {
                    throw fail("label2id.\(name)", "disagrees with id2label (found \(idx.kind))")
                }
            }
            return names.map { $0! }
        }
        // transformers' PretrainedConfig defaults to 2 labels; only the classifier heads use them.
        let classifier = try stringArray("architectures").contains {
            $0.hasSuffix("ForSequenceClassification") || $0.hasSuffix("ForTokenClassification")
        }
        let n = count ?? (classifier ? 2 : 0)
        return (0..<n).map { "LABEL_\($0)" }
    }
}
