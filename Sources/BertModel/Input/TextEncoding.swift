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
    public static func encode(_ texts: [TextInput], tokenizer: BertTokenizer, config: BertConfig, limit: Int? = nil,
                              truncate: Bool = true, rule: TruncationRule = .rust) throws -> EncodedTexts {
        guard !texts.isEmpty else { throw ModelError.emptyBatch }
        let max = Swift.min(limit ?? config.maxPositionEmbeddings, config.maxPositionEmbeddings)
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
    /// The model's tokenizer (its vocabulary and tokenizer settings).
    public func makeTokenizer() throws -> BertTokenizer {
        guard let v = vocabulary else { throw ModelError.noTokenizer }
        return try BertTokenizer(vocabulary: v, settings: tokenizerSettings ?? TokenizerSettings(), source: "the model's vocabulary")
    }
}
