// transformers models/xlm_roberta/modeling_xlm_roberta.py (5.23): "Copied from" RoBERTa class for
// class, XLMRoberta… names, the same `roberta.` prefix and layout; configuration_xlm_roberta.py keeps
// BertConfig's vocab_size default (30522) and pad_token_id 1. Its tokenizer is SentencePiece Unigram.
extension EncoderFamily {
    public static let xlmRoberta = EncoderFamily.robertaLike(
        modelType: "xlm-roberta", displayName: "XLM-RoBERTa", classPrefix: "XLMRoberta", defaults: ["pad_token_id": 1])
}
