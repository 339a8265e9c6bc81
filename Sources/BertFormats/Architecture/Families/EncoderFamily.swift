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
    /// The family's spelling of a layer parameter where it is not BERT's (MPNet's `attention.attn.q.weight`
    /// for `attention.self.query.weight`); BERT's spelling is then not one of the family's.
    public var layerNames: [BertParameter.Layer: String] = [:]
    /// A relative position bias added to every layer's attention scores (MPNet); nil: none.
    public var relativeAttention: RelativeAttentionBias? = nil

    public var description: String { displayName }

    // MARK: The registry

    /// Every family bertkit runs. A new family is one more entry (and its file).
    public static let all: [EncoderFamily] = [.bert, .roberta, .xlmRoberta, .mpnet]

    /// Families transformers has that bertkit refuses by name until they land (issue 14).
    public static let notYetSupported: [String: String] = [
        "distilbert": "DistilBERT", "electra": "ELECTRA", "albert": "ALBERT", "camembert": "CamemBERT",
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

    /// The spelling (without `prefix`) of layer parameter `p`, relative to `encoder.layer.N.`.
    public func layerName(_ p: BertParameter.Layer) -> String { layerNames[p] ?? p.rawValue }

    /// The layer parameter an unprefixed `encoder.layer.N.` suffix spells in this family.
    public func layerParameter(spelt name: String) -> BertParameter.Layer? {
        BertParameter.Layer.allCases.first { layerName($0) == name }
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
                // Only the parameters of heads the family has (no `cls.seq_relationship` in RoBERTa).
                if let owner = HeadKind.owner(of: p), !heads.contains(where: { $0 == owner || ($0 == .preTraining && owner != .questionAnswering) }) { continue }
                m[huggingFaceName(p, head: h)] = p
            }
        }
        return m
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

    public var input: Input
    /// A dense + activation before the output projection (`classifier.dense` + tanh in RoBERTa), with
    /// dropout before each Linear; nil: one Linear.
    public var dense: HeadActivation?

    public init(input: Input, dense: HeadActivation? = nil) {
        self.input = input
        self.dense = dense
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
    /// nil: config.json's `hidden_act` (BertPredictionHeadTransform); RoBERTa's `lm_head` always uses exact GELU.
    public var activation: HiddenActivation?
    public var names: [BertParameter.Head: String]

    public static let bert = MaskedLMLayout(activation: nil, names: [:])
}

/// config.json's spelling and defaults of the typed config fields, per family (transformers'
/// `configuration_*.py`). DistilBERT spells `hidden_size` `dim`: its helper fills `keys`.
public struct ConfigSchema: Sendable, Equatable {
    /// Typed field → config.json key, where not the BERT key (`"hidden_size": "dim"`).
    public var keys: [String: String]
    /// Defaults that differ from BertConfig's (`pad_token_id` 1, `vocab_size` 50265 for RoBERTa).
    public var defaults: [String: Double]

    public static let bert = ConfigSchema(keys: [:], defaults: [:])

    /// The key for the BERT-named field `field`.
    public func key(_ field: String) -> String { keys[field] ?? field }
    public func intDefault(_ field: String, _ bert: Int) -> Int { defaults[field].map { Int($0) } ?? bert }
    public func doubleDefault(_ field: String, _ bert: Double) -> Double { defaults[field] ?? bert }
}
