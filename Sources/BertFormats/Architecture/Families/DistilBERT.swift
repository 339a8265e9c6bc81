// transformers models/distilbert/modeling_distilbert.py (5.23):
// - `Embeddings`: word + position (no token types), `LayerNorm` with eps fixed at 1e-12; positions
//   0..<S from the `position_ids` buffer. With `sinusoidal_pos_embds` the table is still the stored
//   `position_embeddings.weight`: `create_sinusoidal_embeddings` only runs in `_init_weights` (a new
//   model, or a table missing from the file), and `from_pretrained` loads the stored one. bertkit
//   does the same: it reads and writes the table as stored, never recomputes it.
// - `TransformerBlock`: `DistilBertSelfAttention` (`q_lin`/`k_lin`/`v_lin`, eager softmax, `out_lin`)
//   → `sa_layer_norm(attention + x)` → `FFN` (`lin1` → `activation` → `lin2`) →
//   `output_layer_norm(ffn + h)`: BERT's post-LN layer under other names, so BERT's kernels run it.
// - `DistilBertForMaskedLM`: `vocab_transform` → `activation` (config's) → `vocab_layer_norm` (1e-12) →
//   `vocab_projector`, one nn.Linear: its weight tied to the word embeddings (`_tied_weights_keys`) unless
//   `tie_word_embeddings` is false (then stored as `vocab_projector.weight`), its bias the only output bias
//   either way (MaskedLMLayout.sharedBias, as ELECTRA's `generator_lm_head`).
// - `DistilBertForSequenceClassification` / `ForMultipleChoice`: `hidden_state[:, 0]` →
//   `pre_classifier` → ReLU → dropout (`seq_classif_dropout`) → `classifier` (num_labels / 1 rows).
// - `DistilBertForTokenClassification`: dropout (`dropout`) → `classifier`; `ForQuestionAnswering`:
//   dropout (`qa_dropout`) → `qa_outputs`. No pooler in any class, no causal LM.
// - Training dropout (DropoutSchema): `Embeddings` and `FFN` (after lin2) `dropout`, the attention
//   probabilities `attention_dropout`; none after `out_lin` (BERT drops its attention output) and none
//   before `pre_classifier` (BERT drops the classifier's input).
// configuration_distilbert.py: `dim` 768, `n_layers` 6, `n_heads` 12, `hidden_dim` 3072,
// `activation` gelu, `dropout` / `attention_dropout` 0.1, `seq_classif_dropout` 0.2, `qa_dropout`
// 0.1, pad 0; `attribute_map` hidden_size → dim, num_attention_heads → n_heads, num_hidden_layers → n_layers.
extension EncoderFamily {
    public static let distilbert = EncoderFamily(
        modelType: "distilbert", displayName: "DistilBERT", classPrefix: "DistilBert",
        heads: [.none, .maskedLM, .sequenceClassification, .tokenClassification, .questionAnswering, .multipleChoice],
        refusedClasses: [:], prefix: "distilbert", keras: true,
        embeddings: EmbeddingsLayout(positions: .absolute, tokenTypes: false),
        headLayouts: [
            .sequenceClassification: HeadLayout(classifier: ClassifierLayout(input: .firstToken, dense: .relu), names: preClassifier),
            .multipleChoice: HeadLayout(classifier: ClassifierLayout(input: .firstToken, dense: .relu), names: preClassifier),
            .tokenClassification: HeadLayout(classifier: ClassifierLayout(input: .everyToken)),
        ],
        maskedLM: MaskedLMLayout(activation: nil, sharedBias: true, names: [
            .mlmTransformWeight: "vocab_transform.weight", .mlmTransformBias: "vocab_transform.bias",
            .mlmNormWeight: "vocab_layer_norm.weight", .mlmNormBias: "vocab_layer_norm.bias",
            .mlmBias: "vocab_projector.bias", .mlmDecoderWeight: "vocab_projector.weight",
        ]),
        config: ConfigSchema(
            keys: ["hidden_size": "dim", "num_hidden_layers": "n_layers", "num_attention_heads": "n_heads",
                   "intermediate_size": "hidden_dim", "hidden_act": "activation", "hidden_dropout_prob": "dropout",
                   "attention_probs_dropout_prob": "attention_dropout", "classifier_dropout": "seq_classif_dropout"],
            defaults: ["num_hidden_layers": 6, "type_vocab_size": 1, "layer_norm_eps": 1e-12, "classifier_dropout": 0.2, "qa_dropout": 0.1],
            absent: ["type_vocab_size", "layer_norm_eps"],
            dropout: DropoutSchema(
                attentionOutput: false,
                heads: [
                    .sequenceClassification: .init(input: .none, dense: .classifier),
                    .multipleChoice: .init(input: .none, dense: .classifier),
                    .tokenClassification: .init(input: .hidden),
                    .questionAnswering: .init(input: .key("qa_dropout")),
                ])),
        layers: LayerNames(
            scope: "transformer.layer",
            parameters: [
                .queryWeight: "attention.q_lin.weight", .queryBias: "attention.q_lin.bias",
                .keyWeight: "attention.k_lin.weight", .keyBias: "attention.k_lin.bias",
                .valueWeight: "attention.v_lin.weight", .valueBias: "attention.v_lin.bias",
                .attentionOutputWeight: "attention.out_lin.weight", .attentionOutputBias: "attention.out_lin.bias",
                .attentionNormWeight: "sa_layer_norm.weight", .attentionNormBias: "sa_layer_norm.bias",
                .intermediateWeight: "ffn.lin1.weight", .intermediateBias: "ffn.lin1.bias",
                .outputWeight: "ffn.lin2.weight", .outputBias: "ffn.lin2.bias",
                .outputNormWeight: "output_layer_norm.weight", .outputNormBias: "output_layer_norm.bias",
            ],
            // No module returns the attention context (BERT's `attention.self`): `attention` is out_lin's output.
            taps: ["sa_layer_norm": "attention", "ffn.activation": "intermediate", "output_layer_norm": "output"]))

    private static let preClassifier: [BertParameter.Head: String] = [
        .classifierDenseWeight: "pre_classifier.weight", .classifierDenseBias: "pre_classifier.bias",
    ]
}
