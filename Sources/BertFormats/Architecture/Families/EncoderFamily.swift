/// One encoder family (a `model_type`) as data: what differs between BERT and its descendants in
/// names, embeddings and heads, so that the forward, backward, binding and export stay one code path
/// (mlx-swift-examples' `model_type` registry, but strict: an unknown type is refused by name).
/// Each family is one file beside this one (`BERT.swift`, `RoBERTa.swift`, …) and one entry in
/// `EncoderFamily.all`. How to add one: /work/FAMILY-API.md (docs/families in the repository).
public struct EncoderFamily: Sendable, Equatable, CustomStringConvertible {
    /// config.json's `model_type`.
    public let modelType: String
    /// How messages name the family ("RoBERTa").
    public let displayName: String
    /// transformers' class names are `classPrefix + "Model"`, `classPrefix + "ForMaskedLM"` …
    public let classPrefix: String
    /// The heads the family has, in `HeadKind` order; another head is refused by name.
    public let heads: [HeadKind]
    /// transformers classes of this family bertkit refuses, with why (`RobertaForCausalLM`).
    public let refusedClasses: [String: String]
    /// `base_model_prefix`: the `state_dict` scope of the encoder under a head (`bert`, `roberta`).
    public let prefix: String
    /// Whether transformers has TF classes (`TFRobertaForMaskedLM`), so `tf_model.h5` files exist.
    public let keras: Bool
    public let embeddings: EmbeddingsLayout
    /// The heads whose layout is not BERT's (`HeadLayout.bert`).
    public let headLayouts: [HeadKind: HeadLayout]
    /// The masked-LM head's spelling and activation.
    public let maskedLM: MaskedLMLayout
    /// config.json's keys and defaults for the typed config fields.
    public let config: ConfigSchema
    /// How the family spells its encoder layers (BERT's `encoder.layer.N.attention.self.query`,
    /// DistilBERT's `transformer.layer.N.attention.q_lin`, MPNet's `encoder.layer.N.attention.attn.q`).
    public var layers: LayerNames = .bert
    /// A relative position bias added to every layer's attention scores (MPNet); nil: none.
    public var relativeAttention: RelativeAttentionBias? = nil
    /// Encoder parameters outside the layers spelt otherwise than their canonical name (ALBERT's
    /// `pooler.weight`, `encoder.embedding_hidden_mapping_in.weight`); the canonical spelling is then no name of the family.
    public var encoderNames: [BertParameter: String] = [:]
    /// The config key of a dropout before the next-sentence slot's Linear (ALBERT's AlbertSOPHead drops the
    /// pooled output with `classifier_dropout_prob`); bertkit's training does not apply it yet, so a
    /// pre-training step with that rate above 0 is refused naming the key. Nil: NSP has no dropout (BERT).
    public var nextSentenceDropout: String? = nil

    public var description: String { displayName }

    // MARK: The registry

    /// Every family bertkit runs. A new family is one more entry (and its file).
    public static let all: [EncoderFamily] = [.bert, .roberta, .xlmRoberta, .electra, .distilbert, .mpnet, .albert]

    /// Families transformers has that bertkit refuses by name until they land (issue 14).
    public static let notYetSupported: [String: String] = [
        "camembert": "CamemBERT",
        "deberta": "DeBERTa", "deberta-v2": "DeBERTa-v2", "xlm-roberta-xl": "XLM-RoBERTa-XL", "modernbert": "ModernBERT",
    ]

    public static var supportedModelTypes: [String] { all.map(\.modelType) }

    /// The family of `modelType`; nil when bertkit has none (BertConfig says which are known).
    public static func named(_ modelType: String) -> EncoderFamily? { all.first { $0.modelType == modelType } }

    // MARK: Classes and heads

    /// transformers' class name for `head` in this family (`RobertaForSequenceClassification`).
    public func className(_ head: HeadKind) -> String {
        head == .none ? classPrefix + "Model" : classPrefix + head.classSuffix
    }

    /// The head a class name of this family stands for; nil when it is none of the family's heads.
    public func head(forClass name: String) -> HeadKind? { heads.first { className($0) == name } }

    /// Every class name bertkit accepts for this family.
    public var classNames: [String] { heads.map(className) }

    public func has(_ head: HeadKind) -> Bool { heads.contains(head) }

    /// The layout of `head` (BERT's unless the family says otherwise).
    public func layout(_ head: HeadKind) -> HeadLayout { headLayouts[head] ?? .bert }

    /// Whether transformers builds `head` with the encoder's pooler (`add_pooling_layer=True`): when a
    /// head reads the pooled output. Nil for the bare encoder, which has one when its checkpoint does.
    public func usesPooler(_ head: HeadKind) -> Bool? {
        if head == .none { return nil }
        if head.hasNextSentence { return true }
        return layout(head).classifier?.input == .pooled
    }

    /// The spelling (without `prefix`) of a head parameter under `head` in this family's checkpoints.
    public func huggingFaceName(_ p: BertParameter.Head, head: HeadKind) -> String {
        if let n = layout(head).names[p] { return n }
        if let n = maskedLM.names[p] { return n }
        return p.rawValue
    }

    /// Every spelling of a head parameter across the family's heads (a file's name may be any of
    /// them; `Checkpoint.bind` then checks it is the resolved head's).
    public func headSpellings() -> [String: BertParameter.Head] {
        var m: [String: BertParameter.Head] = [:]
        let dense = heads.contains { layout($0).classifier?.dense != nil }
        for h in heads {
            for p in BertParameter.Head.allCases where dense || (p != .classifierDenseWeight && p != .classifierDenseBias) {
                if p == .mlmDecoderBias, maskedLM.sharedBias { continue }
                // Only the parameters of heads the family has (no `cls.seq_relationship` in RoBERTa).
                if let owner = HeadKind.owner(of: p), !heads.contains(where: { $0 == owner || ($0 == .preTraining && owner != .questionAnswering) }) { continue }
                m[huggingFaceName(p, head: h)] = p
            }
        }
        return m
    }
}

/// A family's spelling of the encoder layers: the scope of layer N (`encoder.layer` →
/// `encoder.layer.N.`), each `BertParameter.Layer` under it, and the modules golden taps are recorded
/// from (transformers' `named_modules()` paths relative to layer N). The one place encoder spellings
/// are read (`WeightNames.canonical`, `WeightNames.huggingFaceName`, `Tap(goldenName:)`).
public struct LayerNames: Sendable, Equatable {
    /// The layers' `ModuleList` path: `encoder.layer` (BERT), `transformer.layer` (DistilBERT).
    public var scope: String
    /// The spellings that differ from the canonical `BertParameter.Layer` raw values.
    public var parameters: [BertParameter.Layer: String]
    /// Module path under layer N → the BERT module whose output it is (`sa_layer_norm` → `attention`).
    /// Empty: BERT's module names (`attention.self`, `attention`, `intermediate`, `output`).
    public var taps: [String: String]
    /// ALBERT's groups: each entry of `scope` is a group whose layers are the `ModuleList` `inner`
    /// (`encoder.albert_layer_groups.G.albert_layers.J`), stored layer G · inner_group_num + J. Nil: one level.
    public var inner: String? = nil

    public static let bert = LayerNames(scope: "encoder.layer", parameters: [:], taps: [:])

    /// The spelling of `p` under layer N's scope.
    public func name(_ p: BertParameter.Layer) -> String { parameters[p] ?? p.rawValue }

    /// The path of stored layer `k` (`encoder.layer.3`, `encoder.albert_layer_groups.1.albert_layers.0`)
    /// when each group holds `innerLayers` layers.
    public func path(_ k: Int, innerLayers: Int) -> String {
        guard let inner else { return scope + ".\(k)" }
        return scope + ".\(k / innerLayers).\(inner).\(k % innerLayers)"
    }

    /// The parameter an unprefixed `state_dict` name of this spelling stands for; nil for any other
    /// name (with groups of `innerLayers` layers, a layer index outside a group too).
    public func parameter(_ n: String, innerLayers: Int = 1) -> BertParameter? {
        guard var (i, rest) = Self.index(n, after: scope) else { return nil }
        if let inner {
            guard let (j, tail) = Self.index(rest, after: inner), j < innerLayers else { return nil }
            (i, rest) = (i * innerLayers + j, tail)
        }
        guard let p = BertParameter.Layer.allCases.first(where: { name($0) == rest }) else { return nil }
        return .layer(i, p)
    }

    /// `scope.N.rest` → (N, rest).
    private static func index(_ n: String, after scope: String) -> (Int, String)? {
        guard n.hasPrefix(scope + ".") else { return nil }
        let rest = n.dropFirst(scope.count + 1)
        guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0, String(i) == rest[..<dot] else { return nil }
        return (i, String(rest[rest.index(after: dot)...]))
    }
}

/// How the family embeds tokens (transformers' `*Embeddings.forward`).
public struct EmbeddingsLayout: Sendable, Equatable {
    /// Where position `t` of a row reads the position table.
    public enum Positions: Sendable, Equatable {
        /// 0, 1, … S−1 (BertEmbeddings' `position_ids` buffer).
        case absolute
        /// RoBERTa's `create_position_ids_from_input_ids`: `cumsum(ids != pad) · (ids != pad) + pad`, so
        /// real tokens count from pad + 1 and padding reads row `pad`; a row holds at most
        /// `max_position_embeddings − pad − 1` tokens.
        case fromPaddingMask
    }

    public var positions: Positions
    /// Whether the embeddings add a token-type table (DistilBERT and MPNet have none).
    public var tokenTypes: Bool

    public static let bert = EmbeddingsLayout(positions: .absolute, tokenTypes: true)
}

/// The activation a head applies between two Linears (not `hidden_act`: each family fixes its own).
public enum HeadActivation: String, Sendable, Equatable {
    /// RoBERTa's `RobertaClassificationHead`, BERT's pooler.
    case tanh
    /// The exact erf form (ELECTRA's classification head).
    case gelu
    /// DistilBERT's `pre_classifier`.
    case relu
    /// The config's `hidden_act` (ElectraDiscriminatorPredictions' `get_activation(config.hidden_act)`).
    case hiddenAct
}

/// The classification Linear a head ends in, and what it reads.
public struct ClassifierLayout: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        /// The pooler's output (BERT's sequence classification; every family's multiple choice that has a pooler).
        case pooled
        /// The first token's last hidden state (`features[:, 0, :]`: RoBERTa, ELECTRA, DistilBERT, MPNet).
        case firstToken
        /// Every token's last hidden state (token classification).
        case everyToken
    }

    /// Which config keys give the dropout before each Linear.
    public enum Dropout: Sendable, Equatable {
        /// `classifier_dropout`, or `hidden_dropout_prob` when null, before each Linear (BERT, RoBERTa).
        case classifier
        /// SequenceSummary's (ELECTRA's multiple choice): `summary_first_dropout` before the dense,
        /// `summary_last_dropout` after its activation (BertConfig.summaryFirstDropout / summaryLastDropout).
        case sequenceSummary
    }

    public var input: Input
    /// A dense + activation before the output projection (`classifier.dense` + tanh in RoBERTa), with
    /// dropout before each Linear; nil: one Linear.
    public var dense: HeadActivation?
    public var dropout: Dropout

    public init(input: Input, dense: HeadActivation? = nil, dropout: Dropout = .classifier) {
        self.input = input
        self.dense = dense
        self.dropout = dropout
    }
}

/// A head's layout in one family: its classifier (nil for heads without one) and the names that
/// differ from BERT's (`BertParameter.Head` → the family's spelling, without the encoder prefix).
public struct HeadLayout: Sendable, Equatable {
    public var classifier: ClassifierLayout?
    public var names: [BertParameter.Head: String]

    public init(classifier: ClassifierLayout?, names: [BertParameter.Head: String] = [:]) {
        self.classifier = classifier
        self.names = names
    }

    /// A head without a classifier, under BERT's names.
    public static let bert = HeadLayout(classifier: nil)
}

/// The masked-LM head: its names (`lm_head.*` in RoBERTa) and the activation of its transform.
public struct MaskedLMLayout: Sendable, Equatable {
    /// How wide the transform's output (its LayerNorm and the decoder's input) is.
    public enum Width: Sendable, Equatable {
        /// hidden_size (BertPredictionHeadTransform, RobertaLMHead).
        case hidden
        /// embedding_size (ElectraGeneratorPredictions: dense hidden → embedding_size).
        case embeddingSize
    }

    /// nil: config.json's `hidden_act` (BertPredictionHeadTransform); RoBERTa's `lm_head` always uses exact GELU.
    public var activation: HiddenActivation?
    public var width: Width
    /// One output bias whether or not the decoder is tied (ELECTRA's `generator_lm_head.bias`): an
    /// untied decoder has no `decoder.bias` of its own beside `mlmBias`.
    public var sharedBias: Bool
    public var names: [BertParameter.Head: String]

    public init(activation: HiddenActivation?, width: Width = .hidden, sharedBias: Bool = false, names: [BertParameter.Head: String]) {
        self.activation = activation
        self.width = width
        self.sharedBias = sharedBias
        self.names = names
    }

    public static let bert = MaskedLMLayout(activation: nil, names: [:])
}

/// config.json's spelling and defaults of the typed config fields, per family (transformers'
/// `configuration_*.py`). DistilBERT spells `hidden_size` `dim`: its helper fills `keys`.
public struct ConfigSchema: Sendable, Equatable {
    /// Typed field → config.json key, where not the BERT key (`"hidden_size": "dim"`).
    public var keys: [String: String]
    /// Defaults that differ from BertConfig's (`pad_token_id` 1, `vocab_size` 50265 for RoBERTa).
    public var defaults: [String: Double]
    /// Keys that, when present, must have this value: the only setting bertkit implements
    /// (ELECTRA's `summary_type` "first"); another value is refused naming the key.
    public var fixed: [String: JSONValue]
    /// Whether `embedding_size` is read (ELECTRA); otherwise the embeddings are hidden_size wide.
    public var embeddingSize: Bool
    /// Typed fields the family's config.json has no key for: read as their default and never
    /// written (DistilBERT's fixed `layer_norm_eps` 1e-12, its absent `type_vocab_size`).
    public var absent: Set<String>
    /// Why the family refuses `tie_word_embeddings: false`; nil when an untied decoder is supported.
    public var untiedRefusal: String?
    /// Whether `num_hidden_groups` and `inner_group_num` are read (ALBERT's shared layers, BertConfig.storedLayer).
    public var layerGroups: Bool
    /// Whether `embedding_hidden_mapping_in` (ALBERT) runs even when embedding_size = hidden_size;
    /// ELECTRA's `embeddings_project` exists only when they differ.
    public var alwaysProjects: Bool
    /// `hidden_act`'s default (ALBERT's gelu_new).
    public var hiddenAct: String
    /// Where the family's training dropout is not BERT's, and which keys give its rates.
    public var dropout: DropoutSchema

    public init(keys: [String: String], defaults: [String: Double], fixed: [String: JSONValue] = [:], embeddingSize: Bool = false,
                absent: Set<String> = [], untiedRefusal: String? = nil, layerGroups: Bool = false, alwaysProjects: Bool = false,
                hiddenAct: String = "gelu", dropout: DropoutSchema = .bert) {
        self.keys = keys
        self.defaults = defaults
        self.fixed = fixed
        self.embeddingSize = embeddingSize
        self.absent = absent
        self.untiedRefusal = untiedRefusal
        self.layerGroups = layerGroups
        self.alwaysProjects = alwaysProjects
        self.hiddenAct = hiddenAct
        self.dropout = dropout
    }

    public static let bert = ConfigSchema(keys: [:], defaults: [:])

    /// The key for the BERT-named field `field`.
    public func key(_ field: String) -> String { keys[field] ?? field }
    public func intDefault(_ field: String, _ bert: Int) -> Int { defaults[field].map { Int($0) } ?? bert }
    public func doubleDefault(_ field: String, _ bert: Double) -> Double { defaults[field] ?? bert }
}

/// A family's training dropout where it is not BERT's (each `nn.Dropout(config.<key>)` in its
/// modeling_*.py): whether the attention output is dropped, and per head the rate before the head's
/// first Linear and after its dense's activation (DropoutRates(config:head:) reads them).
public struct DropoutSchema: Sendable, Equatable {
    /// Which rate a dropout site takes.
    public enum Rate: Sendable, Equatable {
        /// No dropout at that site.
        case none
        /// `hidden_dropout_prob` (DistilBERT's `dropout`).
        case hidden
        /// `classifier_dropout`, else `hidden_dropout_prob` (DistilBERT's `seq_classif_dropout`).
        case classifier
        /// A config.json key of the family's own, read by BertConfig into `familyDropout`
        /// (DistilBERT's `qa_dropout`), default `ConfigSchema.defaults[key]`.
        case key(String)
    }

    /// A head's two sites: `.classifier` (its input: the pooled output, the first tokens or every token;
    /// question answering's every token) and `.classifierDense` (after the dense's activation).
    public struct Head: Sendable, Equatable {
        public var input: Rate
        public var dense: Rate
        public init(input: Rate, dense: Rate = .none) {
            self.input = input
            self.dense = dense
        }
    }

    /// Whether the attention output dense's output is dropped before its residual (BertSelfOutput);
    /// DistilBERT's `sa_layer_norm` reads `out_lin`'s output as is.
    public var attentionOutput: Bool
    /// The heads whose sites are not `ClassifierLayout.dropout`'s.
    public var heads: [HeadKind: Head]

    public init(attentionOutput: Bool = true, heads: [HeadKind: Head] = [:]) {
        self.attentionOutput = attentionOutput
        self.heads = heads
    }

    public static let bert = DropoutSchema()

    /// The family keys `heads` names (`qa_dropout`), which BertConfig reads.
    public var keys: [String] {
        Set(heads.values.flatMap { [$0.input, $0.dense] }.compactMap { if case .key(let k) = $0 { k } else { nil } }).sorted()
    }
}
