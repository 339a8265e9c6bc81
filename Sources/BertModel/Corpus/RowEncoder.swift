import BertFormats
import BertTokenizer

/// One corpus text tokenized for the model, unpadded.
public struct EncodedRow: Sendable {
    /// The row's place in the stream (0-based, bad rows not counted) and its line in the file.
    public let index: Int
    public let line: Int
    public let ids: [Int]
    public let types: [Int]
    /// The tokens the text had before it was cut to the limit; nil when it fitted.
    public let truncatedFrom: Int?
}

/// Tokenizes texts one by one exactly as `BertInput.encode` / `BertModel.encodeSentences` tokenize a
/// batch: cut to the limit (longest_first, pairs by `rule`) or, when `truncate` is false, refused.
public struct RowEncoder: Sendable {
    public let tokenizer: ModelTokenizer
    /// Put before every text (a sentence-transformers prompt); `promptLength` counts [CLS] and it.
    public let prompt: String
    public let promptLength: Int
    public let limit: Int
    public let truncate: Bool
    public let rule: TruncationRule

    /// Encodes `inputs` (one window, in one call so the tokenizer can spread it over threads).
    /// Errors: `ModelError.textTooLong` with the window row (0-based) when refusing.
    public func encode(_ inputs: [TextInput]) throws -> [(ids: [Int], types: [Int], truncatedFrom: Int?)] {
        let texts = prompt.isEmpty ? inputs : inputs.map { TextInput(prompt + $0.text, pair: $0.pair) }
        var encodings = try tokenizer.encode(texts, options: EncodingOptions(truncation: Truncation.none))
        let counts = encodings.map(\.count)
        let long = counts.indices.filter { counts[$0] > limit }
        if let first = long.first, !truncate { throw ModelError.textTooLong(row: first, tokens: counts[first], limit: limit) }
        if !long.isEmpty {
            let cut = try tokenizer.encode(long.map { texts[$0] },
                                           options: EncodingOptions(maxLength: limit, truncation: .longestFirst, truncationRule: rule))
            for (k, i) in long.enumerated() { encodings[i] = cut[k] }
        }
        return encodings.enumerated().map { i, e in (e.inputIds, e.tokenTypeIds, counts[i] > limit ? counts[i] : nil) }
    }
}

extension BertModel {
    /// The encoder of `run`'s texts (`BertInput.encode`): the limit is max_position_embeddings.
    public func textEncoder(truncate: Bool = true, rule: TruncationRule = .rust) throws -> RowEncoder {
        RowEncoder(tokenizer: try makeTokenizer(), prompt: "", promptLength: 0, limit: config.maxSequenceLength,
                   truncate: truncate, rule: rule)
    }

    /// The encoder of `embed`'s texts (`encodeSentences`): prompt, lowercasing and max_seq_length.
    public func sentenceEncoder(promptName: String? = nil, truncate: Bool = true, rule: TruncationRule = .rust) throws -> RowEncoder {
        let (tokenizer, prompt, limit) = try sentenceTokenizer(promptName: promptName)
        let max = Swift.min(limit ?? config.maxSequenceLength, config.maxSequenceLength)
        return RowEncoder(tokenizer: tokenizer, prompt: prompt, promptLength: prompt.isEmpty ? 0 : try Self.promptLength(prompt, tokenizer),
                          limit: max, truncate: truncate, rule: rule)
    }
}
