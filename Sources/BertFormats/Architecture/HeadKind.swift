/// The head on top of the encoder, as transformers' `BertFor…` classes (models/bert/modeling_bert.py)
/// and their counterparts in the other families (`RobertaFor…`) define it. Each case owns its
/// parameter table and the task it serves; the family (`EncoderFamily`) says whether it has the head,
/// its class name, what its classifier reads and its spelling. The forward lives in BertModel/Heads/.
public enum HeadKind: String, CaseIterable, Sendable, Codable {
    /// `BertModel`: the encoder alone (with or without its pooler).
    case none
    /// `BertForPreTraining`: masked LM + next-sentence prediction.
    case preTraining = "pre-training"
    case maskedLM = "masked-lm"
    case nextSentence = "next-sentence"
    case sequenceClassification = "sequence-classification"
    case tokenClassification = "token-classification"
    case questionAnswering = "question-answering"
    case multipleChoice = "multiple-choice"
    /// `ElectraForPreTraining`, the discriminator: one logit per token, whether it was replaced
    /// (`discriminator_predictions`). Not BERT's pre-training head, though transformers gives both the suffix.
    case replacedTokenDetection = "replaced-token-detection"

    /// What transformers' class names add to the family's prefix (`ForMaskedLM`); `Model` for none.
    public var classSuffix: String {
        switch self {
        case .none: "Model"
        case .preTraining: "ForPreTraining"
        case .maskedLM: "ForMaskedLM"
        case .nextSentence: "ForNextSentencePrediction"
        case .sequenceClassification: "ForSequenceClassification"
        case .tokenClassification: "ForTokenClassification"
        case .questionAnswering: "ForQuestionAnswering"
        case .multipleChoice: "ForMultipleChoice"
        case .replacedTokenDetection: "ForPreTraining"
        }
    }

    /// BERT's class name (`BertForMaskedLM`); `EncoderFamily.className` gives another family's. A head
    /// BERT lacks is named in the first family that has it (`ElectraForPreTraining`), not `BertForPreTraining`.
    public var architectureName: String {
        let f = EncoderFamily.bert.has(self) ? .bert : EncoderFamily.all.first { $0.has(self) } ?? .bert
        return f.className(self)
    }

    /// The head of a BERT class name.
    public init?(architectureName: String) {
        guard let k = EncoderFamily.bert.head(forClass: architectureName) else { return nil }
        self = k
    }

    /// The head whatever the family: `RobertaForMaskedLM` and `BertForMaskedLM` are both `.maskedLM`
    /// (golden metadata, messages); nil for a name no family has.
    public init?(anyFamilyClass name: String) {
        for f in EncoderFamily.all {
            if let k = f.head(forClass: name) { self = k; return }
        }
        return nil
    }

    /// Whether BERT builds the class with `add_pooling_layer=True` (`EncoderFamily.usesPooler` for
    /// any family). Nil for `BertModel`, which has a pooler exactly when the checkpoint does.
    public var usesPooler: Bool? { EncoderFamily.bert.usesPooler(self) }

    /// Whether the head has the masked-LM prediction head (`cls.predictions`).
    public var hasMaskedLM: Bool { self == .preTraining || self == .maskedLM }
    /// Whether the head has the next-sentence classifier (`cls.seq_relationship`).
    public var hasNextSentence: Bool { self == .preTraining || self == .nextSentence }

    /// How many outputs the `classifier` has, for the heads that have one.
    public func classifierRows(_ c: BertConfig) -> Int? {
        switch self {
        case .sequenceClassification, .tokenClassification: c.numLabels
        case .multipleChoice, .replacedTokenDetection: 1
        default: nil
        }
    }

    /// The head's own parameters with their shapes, in forward order, in `c`'s family. With `tied`
    /// the MLM decoder is the word-embedding matrix and its bias `cls.predictions.bias`, so neither is stored.
    public func parameters(_ c: BertConfig, tied: Bool) -> [(BertParameter, [Int])] {
        let h = c.hiddenSize
        var out: [(BertParameter, [Int])] = []
        if hasMaskedLM {
            // The transform's output width: hidden_size, or embedding_size (ELECTRA's generator).
            let mlm = c.family.maskedLM, w = c.maskedLMWidth
            out += [(.head(.mlmTransformWeight), [w, h]), (.head(.mlmTransformBias), [w]),
                    (.head(.mlmNormWeight), [w]), (.head(.mlmNormBias), [w]), (.head(.mlmBias), [c.vocabSize])]
            if !tied { out.append((.head(.mlmDecoderWeight), [c.vocabSize, w])) }
            if !tied, !mlm.sharedBias { out.append((.head(.mlmDecoderBias), [c.vocabSize])) }
        }
        if hasNextSentence { out += [(.head(.nspWeight), [2, h]), (.head(.nspBias), [2])] }
        if let rows = classifierRows(c) {
            if c.family.layout(self).classifier?.dense != nil {
                out += [(.head(.classifierDenseWeight), [h, h]), (.head(.classifierDenseBias), [h])]
            }
            out += [(.head(.classifierWeight), [rows, h]), (.head(.classifierBias), [rows])]
        }
        if self == .questionAnswering { out += [(.head(.qaWeight), [2, h]), (.head(.qaBias), [2])] }
        return out
    }

    /// The head a parameter belongs to when no other head claims it: used to name the heads a
    /// checkpoint's tensors imply. Classifier tensors belong to several heads, so nil.
    static func owner(of p: BertParameter.Head) -> HeadKind? {
        switch p {
        case .qaWeight, .qaBias: .questionAnswering
        case .nspWeight, .nspBias: .nextSentence
        case .classifierWeight, .classifierBias, .classifierDenseWeight, .classifierDenseBias: nil
        default: .maskedLM
        }
    }
}
