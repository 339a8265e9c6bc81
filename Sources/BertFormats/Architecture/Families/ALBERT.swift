// transformers models/albert/modeling_albert.py (5.23) and configuration_albert.py:
// - AlbertEmbeddings: BERT's word/position/token-type tables and LayerNorm, `embedding_size` wide;
//   AlbertTransformer then always applies `encoder.embedding_hidden_mapping_in` (Linear embedding_size →
//   hidden_size; BertParameter.embeddingsProjection, ELECTRA's `embeddings_project`).
// - AlbertTransformer.forward: for i in 0..<num_hidden_layers, group `int(i / (num_hidden_layers /
//   num_hidden_groups))` runs its `inner_group_num` AlbertLayers in order: the stored layers are
//   `encoder.albert_layer_groups.G.albert_layers.J` (BertConfig.storedLayer maps an applied layer to one).
// - AlbertLayer: AlbertAttention (`attention.query/key/value`, eager softmax, `attention.dense`,
//   `attention.LayerNorm(x + dense)`), `ffn` → hidden_act (default gelu_new) → `ffn_output`,
//   `full_layer_layer_norm(ffn_output + attention)`: BERT's post-LN layer under other names.
// - AlbertModel's pooler is `pooler` (one Linear) + tanh on token 0 (BERT's `pooler.dense`).
// - AlbertMLMHead (`predictions`): `dense` hidden → embedding_size → hidden_act → `LayerNorm`
//   (embedding_size) → `decoder` embedding_size → vocab, tied to the word embeddings and `predictions.bias`.
// - AlbertForPreTraining: `predictions` + AlbertSOPHead (`sop_classifier.classifier` on the pooled
//   output after dropout `classifier_dropout_prob`): bertkit's pre-training head, the SOP logits as NSP's.
// - ForSequenceClassification / ForMultipleChoice: dropout (`classifier_dropout_prob`) → `classifier` on
//   the pooled output; ForTokenClassification: dropout (`classifier_dropout_prob`, else
//   hidden_dropout_prob) → `classifier`; ForQuestionAnswering: `qa_outputs`, no dropout.
// configuration_albert.py: vocab_size 30000, embedding_size 128, hidden_size 4096, num_hidden_groups 1,
// num_attention_heads 64, intermediate_size 16384, inner_group_num 1, hidden_act gelu_new, dropouts 0,
// classifier_dropout_prob 0.1, pad 0.
extension EncoderFamily {
    public static let albert: EncoderFamily = {
        var f = EncoderFamily(
            modelType: "albert", displayName: "ALBERT", classPrefix: "Albert",
            heads: [.none, .preTraining, .maskedLM, .sequenceClassification, .tokenClassification, .questionAnswering, .multipleChoice],
            refusedClasses: [:], prefix: "albert", keras: true, embeddings: .bert,
            headLayouts: [
                .preTraining: HeadLayout(classifier: nil, names: [.nspWeight: "sop_classifier.classifier.weight",
                                                                  .nspBias: "sop_classifier.classifier.bias"]),
                .sequenceClassification: HeadLayout(classifier: ClassifierLayout(input: .pooled)),
                .multipleChoice: HeadLayout(classifier: ClassifierLayout(input: .pooled)),
                .tokenClassification: HeadLayout(classifier: ClassifierLayout(input: .everyToken)),
            ],
            maskedLM: MaskedLMLayout(
                activation: nil, width: .embeddingSize,
                names: [.mlmTransformWeight: "predictions.dense.weight", .mlmTransformBias: "predictions.dense.bias",
                        .mlmNormWeight: "predictions.LayerNorm.weight", .mlmNormBias: "predictions.LayerNorm.bias",
                        .mlmBias: "predictions.bias", .mlmDecoderWeight: "predictions.decoder.weight",
                        .mlmDecoderBias: "predictions.decoder.bias"]),
            config: ConfigSchema(
                keys: ["classifier_dropout": "classifier_dropout_prob"],
                defaults: ["vocab_size": 30000, "hidden_size": 4096, "num_attention_heads": 64, "intermediate_size": 16384,
                           "embedding_size": 128, "hidden_dropout_prob": 0, "attention_probs_dropout_prob": 0,
                           "classifier_dropout": 0.1],
                embeddingSize: true, layerGroups: true, alwaysProjects: true, hiddenAct: "gelu_new",
                // AlbertSOPHead drops the pooled output at classifier_dropout_prob (refused in training: nextSentenceDropout).
                dropout: DropoutSchema(heads: [.preTraining: .init(input: .classifier)])))
        f.layers = LayerNames(
            scope: "encoder.albert_layer_groups",
            parameters: [
                .queryWeight: "attention.query.weight", .queryBias: "attention.query.bias",
                .keyWeight: "attention.key.weight", .keyBias: "attention.key.bias",
                .valueWeight: "attention.value.weight", .valueBias: "attention.value.bias",
                .attentionOutputWeight: "attention.dense.weight", .attentionOutputBias: "attention.dense.bias",
                .attentionNormWeight: "attention.LayerNorm.weight", .attentionNormBias: "attention.LayerNorm.bias",
                .intermediateWeight: "ffn.weight", .intermediateBias: "ffn.bias",
                .outputWeight: "ffn_output.weight", .outputBias: "ffn_output.bias",
                .outputNormWeight: "full_layer_layer_norm.weight", .outputNormBias: "full_layer_layer_norm.bias",
            ],
            // golden/record.py names each application of a shared layer by the applied index, BERT's way
            // (`encoder.layer.{a}.attention`): a module path would name several applications.
            taps: [:], inner: "albert_layers")
        f.encoderNames = [
            .embeddingsProjection(.weight): "encoder.embedding_hidden_mapping_in.weight",
            .embeddingsProjection(.bias): "encoder.embedding_hidden_mapping_in.bias",
            .pooler(.weight): "pooler.weight", .pooler(.bias): "pooler.bias",
        ]
        f.nextSentenceDropout = "classifier_dropout_prob"
        return f
    }()
}
