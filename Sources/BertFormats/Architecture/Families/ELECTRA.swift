// transformers models/electra/modeling_electra.py (5.23) and configuration_electra.py:
// - ElectraEmbeddings: BERT's word/position/token-type tables and LayerNorm, `embedding_size` wide;
//   ElectraModel then applies `embeddings_project` (Linear embedding_size → hidden_size) when the two
//   differ (BertParameter.embeddingsProjection); BERT's layers under `electra.`; no pooler.
// - ElectraClassificationHead (`classifier`): x = features[:, 0, :]; dropout → `classifier.dense` →
//   gelu (exact, whatever hidden_act says) → dropout → `classifier.out_proj`.
// - ElectraForMultipleChoice: ElectraSequenceSummary (`sequence_summary.summary`, a Linear H → H on
//   the first token for summary_type "first", summary_use_proj true; then summary_activation "gelu";
//   summary_first_dropout before, summary_last_dropout after) → `classifier` (H → 1). Other summary
//   settings are refused by key (ConfigSchema.fixed).
// - ElectraGeneratorPredictions + `generator_lm_head` (ElectraForMaskedLM): dense hidden →
//   embedding_size → gelu (exact) → LayerNorm(embedding_size) → `generator_lm_head` embedding_size →
//   vocab, its weight tied to the word embeddings (`_tied_weights_keys`), its bias its own.
// - ElectraForTokenClassification / ElectraForQuestionAnswering: BERT's `classifier` / `qa_outputs`.
// - ElectraForPreTraining, the discriminator (HeadKind.replacedTokenDetection, not BERT's pre-training
//   head): ElectraDiscriminatorPredictions on every token: `discriminator_predictions.dense` (H → H) →
//   `hidden_act` → `dense_prediction` (H → 1), logits [B, S] (squeezed); no dropout in the head.
extension EncoderFamily {
    public static let electra = EncoderFamily(
        modelType: "electra", displayName: "ELECTRA", classPrefix: "Electra",
        heads: [.none, .maskedLM, .sequenceClassification, .tokenClassification, .questionAnswering, .multipleChoice,
                .replacedTokenDetection],
        refusedClasses: [
            "ElectraForCausalLM": "a causal (decoder) LM head (is_decoder), not an encoder",
        ],
        prefix: "electra", keras: true, embeddings: .bert,
        headLayouts: [
            .sequenceClassification: HeadLayout(
                classifier: ClassifierLayout(input: .firstToken, dense: .gelu),
                names: [.classifierDenseWeight: "classifier.dense.weight", .classifierDenseBias: "classifier.dense.bias",
                        .classifierWeight: "classifier.out_proj.weight", .classifierBias: "classifier.out_proj.bias"]),
            .multipleChoice: HeadLayout(
                classifier: ClassifierLayout(input: .firstToken, dense: .gelu, dropout: .sequenceSummary),
                names: [.classifierDenseWeight: "sequence_summary.summary.weight",
                        .classifierDenseBias: "sequence_summary.summary.bias"]),
            .tokenClassification: HeadLayout(classifier: ClassifierLayout(input: .everyToken)),
            .replacedTokenDetection: HeadLayout(
                classifier: ClassifierLayout(input: .everyToken, dense: .hiddenAct),
                names: [.classifierDenseWeight: "discriminator_predictions.dense.weight",
                        .classifierDenseBias: "discriminator_predictions.dense.bias",
                        .classifierWeight: "discriminator_predictions.dense_prediction.weight",
                        .classifierBias: "discriminator_predictions.dense_prediction.bias"]),
        ],
        maskedLM: MaskedLMLayout(
            activation: .gelu, width: .embeddingSize, sharedBias: true,
            names: [.mlmTransformWeight: "generator_predictions.dense.weight", .mlmTransformBias: "generator_predictions.dense.bias",
                    .mlmNormWeight: "generator_predictions.LayerNorm.weight", .mlmNormBias: "generator_predictions.LayerNorm.bias",
                    .mlmBias: "generator_lm_head.bias", .mlmDecoderWeight: "generator_lm_head.weight"]),
        config: ConfigSchema(
            keys: [:],
            defaults: ["hidden_size": 256, "num_attention_heads": 4, "intermediate_size": 1024, "embedding_size": 128,
                       "summary_last_dropout": 0.1],
            fixed: [
                // ElectraSequenceSummary: what ClassifierLayout(.firstToken, dense: .gelu) computes.
                "summary_type": .string("first"), "summary_use_proj": .bool(true), "summary_activation": .string("gelu"),
                "summary_proj_to_labels": .bool(false),
            ],
            embeddingSize: true,
            dropout: DropoutSchema(heads: [.replacedTokenDetection: .init(input: .none, dense: .none)])))
}
