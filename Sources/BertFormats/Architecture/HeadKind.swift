/// The head on top of the encoder, as transformers' `BertFor…` classes define it
/// (models/bert/modeling_bert.py). Each case owns its parameter table, whether it reads the
/// pooler, and the task it serves; the forward of each lives in BertModel/Heads/.
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

    /// transformers' class name, as `architectures` lists it.
    public var architectureName: String {
        switch self {
        case .none: "BertModel"
        case .preTraining: "BertForPreTraining"
        case .maskedLM: "BertForMaskedLM"
        case .nextSentence: "BertForNextSentencePrediction"
        case .sequenceClassification: "BertForSequenceClassification"
        case .tokenClassification: "BertForTokenClassification"
        case .questionAnswering: "BertForQuestionAnswering"
        case .multipleChoice: "BertForMultipleChoice"
        }
    }

    public init?(architectureName: String) {
        guard let k = Self.allCases.first(where: { $0.architectureName == architectureName }) else { return nil }
        self = k
    }

    /// Whether transformers builds the class with `add_pooling_layer=True`. Nil for `BertModel`,
    /// which has a pooler exactly when the checkpoint does.
    public var usesPooler: Bool? {
        switch self {
        case .none: nil
        case .preTraining, .nextSentence, .sequenceClassification, .multipleChoice: true
        case .maskedLM, .tokenClassification, .questionAnswering: false
        }
    }

    /// Whether the head has the masked-LM prediction head (`cls.predictions`).
    public var hasMaskedLM: Bool { self == .preTraining || self == .maskedLM }
    /// Whether the head has the next-sentence classifier (`cls.seq_relationship`).
    public var hasNextSentence: Bool { self == .preTraining || self == .nextSentence }

    /// How many outputs the `classifier` has, for the heads that have one.
    public func classifierRows(_ c: BertConfig) -> Int? {
        switch self {
        case .sequenceClassification, .tokenClassification: c.numLabels
        case .multipleChoice: 1
        default: nil
        }
    }

    /// The head's own parameters with their shapes, in forward order. With `tied` the MLM decoder
    /// is the word-embedding matrix and its bias `cls.predictions.bias`, so neither is stored.
    public func parameters(_ c: BertConfig, tied: Bool) -> [(BertParameter, [Int])] {
        let h = c.hiddenSize
        var out: [(BertParameter, [Int])] = []
        if hasMaskedLM {
            out += [(.head(.mlmTransformWeight), [h, h]), (.head(.mlmTransformBias), [h]),
                    (.head(.mlmNormWeight), [h]), (.head(.mlmNormBias), [h]), (.head(.mlmBias), [c.vocabSize])]
            if !tied { out += [(.head(.mlmDecoderWeight), [c.vocabSize, h]), (.head(.mlmDecoderBias), [c.vocabSize])] }
        }
        if hasNextSentence { out += [(.head(.nspWeight), [2, h]), (.head(.nspBias), [2])] }
        if let rows = classifierRows(c) { out += [(.head(.classifierWeight), [rows, h]), (.head(.classifierBias), [rows])] }
        if self == .questionAnswering { out += [(.head(.qaWeight), [2, h]), (.head(.qaBias), [2])] }
        return out
    }

    /// The head a parameter belongs to when no other head claims it: used to name the heads a
    /// checkpoint's tensors imply. Classifier tensors belong to several heads, so nil.
    static func owner(of p: BertParameter.Head) -> HeadKind? {
        switch p {
        case .qaWeight, .qaBias: .questionAnswering
        case .nspWeight, .nspBias: .nextSentence
        case .classifierWeight, .classifierBias: nil
        default: .maskedLM
        }
    }
}
