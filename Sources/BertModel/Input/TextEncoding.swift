import BertFormats
import BertTokenizer

/// Texts made into model inputs with the model's own tokenizer.
public struct EncodedTexts: Sendable {
    public let input: BertInput
    /// Rows cut to the limit: (row, tokens it had).
    public let truncated: [(row: Int, tokens: Int)]
    public let limit: Int
}

extension BertInput {
    /// Tokenizes `texts` ([CLS] a [SEP] (b [SEP])) and right-pads them to the longest. Texts longer
    /// than `limit` tokens (default: max_position_embeddings) are cut to it (transformers'
    /// longest_first, pairs by `rule`), or refused when `truncate` is false; either way nothing
    /// reads past the position table.
    public static func encode(_ texts: [TextInput], tokenizer: ModelTokenizer, config: BertConfig, limit: Int? = nil,
                              truncate: Bool = true, rule: TruncationRule = .rust) throws -> EncodedTexts {
        guard !texts.isEmpty else { throw ModelError.emptyBatch }
        let max = Swift.min(limit ?? config.maxSequenceLength, config.maxSequenceLength)
        var encodings = try tokenizer.encode(texts, options: EncodingOptions(truncation: Truncation.none))
        let long = encodings.enumerated().filter { $0.element.count > max }.map { (row: $0.offset, tokens: $0.element.count) }
        if let first = long.first {
            guard truncate else { throw ModelError.textTooLong(row: first.row, tokens: first.tokens, limit: max) }
            encodings = try tokenizer.encode(texts, options: EncodingOptions(maxLength: max, truncation: .longestFirst,
                                                                             truncationRule: rule))
        }
        let input = try BertInput(rows: encodings.map(\.inputIds), tokenTypes: encodings.map(\.tokenTypeIds), config: config)
        return EncodedTexts(input: input, truncated: long, limit: max)
    }
}

extension BertModel {
    /// The model's tokenizer: its WordPiece vocabulary and settings, or the pipeline its
    /// tokenizer files describe (`ModelTokenizer`), whose ids must fit the embedding rows.
    public func makeTokenizer() throws -> ModelTokenizer {
        try makeTokenizer(settings: tokenizerSettings)
    }

    func makeTokenizer(settings: TokenizerSettings?) throws -> ModelTokenizer {
        let source = vocabulary != nil ? "the model's vocabulary" : "the model's tokenizer"
        guard let t = try ModelTokenizer.checked(vocabulary: vocabulary, settings: settings, files: tokenizerFiles, config: config,
                                                 source: source, configFile: "the model's config") else { throw ModelError.noTokenizer }
        return t
    }

    /// Texts as sentence-transformers' `encode` prepares them (`models/Transformer.py` `preprocess`):
    /// the prompt (`promptName`, else the default prompt) put before each text, lowercased when
    /// sentence_bert_config.json's do_lower_case is set, and cut to max_seq_length, else to the
    /// tokenizer's model_max_length, capped by max_position_embeddings. The input's `promptLength`
    /// counts [CLS] and the prompt's tokens (the prompt tokenized alone, without its [SEP]).
    public func encodeSentences(_ texts: [TextInput], promptName: String? = nil, truncate: Bool = true,
                                rule: TruncationRule = .rust) throws -> EncodedTexts {
        let (tokenizer, prompt, limit) = try sentenceTokenizer(promptName: promptName)
        let inputs = texts.map { TextInput(prompt + $0.text, pair: $0.pair) }
        let encoded = try BertInput.encode(inputs, tokenizer: tokenizer, config: config, limit: limit, truncate: truncate, rule: rule)
        guard !prompt.isEmpty else { return encoded }  // sentence-transformers skips an empty prompt
        var input = encoded.input
        input.promptLength = try Self.promptLength(prompt, tokenizer)
        return EncodedTexts(input: input, truncated: encoded.truncated, limit: encoded.limit)
    }

    /// The tokenizer, prompt and length limit of `encodeSentences`.
    func sentenceTokenizer(promptName: String?) throws -> (ModelTokenizer, prompt: String, limit: Int?) {
        let st = sentenceTransformers
        var settings = tokenizerSettings ?? TokenizerSettings()
        if st?.doLowerCase == true {
            // A Lowercase normalizer before the tokenizer's own: accents stay as the tokenizer had them.
            guard vocabulary != nil else { throw ModelError.lowercasingNeedsWordPiece }
            settings.stripAccents = settings.stripsAccents
            settings.doLowerCase = true
        }
        let tokenizer = try makeTokenizer(settings: settings)
        var prompt = ""
        if let name = promptName ?? st?.defaultPromptName {
            guard let p = st?.prompt(named: name) else { throw ModelError.unknownPrompt(name: name, prompts: st?.prompts.map(\.name) ?? []) }
            prompt = p.text
        }
        return (tokenizer, prompt, st?.maxSeqLength ?? settings.modelMaxLength)
    }

    /// [CLS] and the prompt's tokens (the prompt tokenized alone, without its [SEP]).
    static func promptLength(_ prompt: String, _ tokenizer: ModelTokenizer) throws -> Int {
        try tokenizer.encode([TextInput(prompt)], options: EncodingOptions(truncation: Truncation.none))[0].count - 1
    }
}
