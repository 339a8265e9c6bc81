// transformers models/bert/modeling_bert.py (BertModel, BertFor…) and configuration_bert.py.
extension EncoderFamily {
    public static let bert = EncoderFamily(
        modelType: "bert", displayName: "BERT", classPrefix: "Bert",
        heads: HeadKind.allCases.filter { $0 != .replacedTokenDetection }, refusedClasses: ["BertLMHeadModel": "a causal (decoder) LM head, not an encoder"],
        prefix: "bert", keras: true, embeddings: .bert,
        headLayouts: [
            // BertForSequenceClassification / BertForMultipleChoice: `classifier` on the pooled output.
            .sequenceClassification: HeadLayout(classifier: ClassifierLayout(input: .pooled)),
            .multipleChoice: HeadLayout(classifier: ClassifierLayout(input: .pooled)),
            .tokenClassification: HeadLayout(classifier: ClassifierLayout(input: .everyToken)),
        ],
        maskedLM: .bert, config: .bert)
}
