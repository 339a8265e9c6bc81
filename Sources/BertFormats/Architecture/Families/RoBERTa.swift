// transformers models/roberta/modeling_roberta.py (5.23): RobertaEmbeddings (positions from the
// padding mask, `create_position_ids_from_input_ids`), BERT's layers under `roberta.`, RobertaLMHead
// (`lm_head`: dense → exact `gelu` whatever hidden_act says → layer_norm → decoder, tied to the word
// embeddings and `lm_head.bias`), RobertaClassificationHead (`classifier.dense` → tanh →
// `classifier.out_proj` on `<s>`, no pooler), RobertaForMultipleChoice (`classifier` on the pooler),
// token classification and QA as BERT's. configuration_roberta.py: pad_token_id 1, vocab_size 50265.
extension EncoderFamily {
    public static let roberta = EncoderFamily.robertaLike(
        modelType: "roberta", displayName: "RoBERTa", classPrefix: "Roberta", defaults: ["vocab_size": 50265, "pad_token_id": 1])

    /// RoBERTa's layout under another family's names (XLM-RoBERTa is RoBERTa with another tokenizer).
    static func robertaLike(modelType: String, displayName: String, classPrefix: String, defaults: [String: Double]) -> EncoderFamily {
        let lmHead: [BertParameter.Head: String] = [
            .mlmTransformWeight: "lm_head.dense.weight", .mlmTransformBias: "lm_head.dense.bias",
            .mlmNormWeight: "lm_head.layer_norm.weight", .mlmNormBias: "lm_head.layer_norm.bias",
            .mlmBias: "lm_head.bias", .mlmDecoderWeight: "lm_head.decoder.weight", .mlmDecoderBias: "lm_head.decoder.bias",
        ]
        return EncoderFamily(
            modelType: modelType, displayName: displayName, classPrefix: classPrefix,
            heads: [.none, .maskedLM, .sequenceClassification, .tokenClassification, .questionAnswering, .multipleChoice],
            refusedClasses: [classPrefix + "ForCausalLM": "a causal (decoder) LM head (is_decoder), not an encoder"],
            prefix: "roberta", keras: true,
            embeddings: EmbeddingsLayout(positions: .fromPaddingMask, tokenTypes: true),
            headLayouts: [
                .sequenceClassification: HeadLayout(
                    classifier: ClassifierLayout(input: .firstToken, dense: .tanh),
                    names: [.classifierDenseWeight: "classifier.dense.weight", .classifierDenseBias: "classifier.dense.bias",
                            .classifierWeight: "classifier.out_proj.weight", .classifierBias: "classifier.out_proj.bias"]),
                .multipleChoice: HeadLayout(classifier: ClassifierLayout(input: .pooled)),
                .tokenClassification: HeadLayout(classifier: ClassifierLayout(input: .everyToken)),
            ],
            maskedLM: MaskedLMLayout(activation: .gelu, names: lmHead),
            config: ConfigSchema(keys: [:], defaults: defaults))
    }
}
