import Foundation

/// Why a tokenizer could not be built or an input could not be encoded.
public enum TokenizerError: LocalizedError, Equatable {
    /// The vocabulary lacks special tokens BERT needs; each entry is "token (setting)".
    case missingSpecialTokens(source: String, tokens: [String])
    case unsupported(source: String, what: String)
    /// A folder with neither vocab.txt nor tokenizer.json.
    case noVocabulary(folder: String)
    case invalidOption(String)
    /// Input `input` (0-based, in batch order) cannot be cut to `maxLength` with `strategy`.
    case cannotTruncate(input: Int, maxLength: Int, strategy: Truncation, why: String)
    /// A pipeline tokenizer gives ids the model has no embedding row for.
    case idsPastEmbeddings(source: String, ids: Int, embeddingRows: Int, configFile: String)

    public var errorDescription: String? {
        switch self {
        case .missingSpecialTokens(let source, let tokens):
            "\(source): the vocabulary has no \(tokens.joined(separator: ", ")); BERT needs [UNK], [CLS], [SEP] and [PAD] tokens"
                + "\n---> HINT: set the token names in tokenizer_config.json if this vocabulary spells them differently"
        case .unsupported(let source, let what):
            "\(source): \(what), which bertkit's BertTokenizer does not support"
        case .noVocabulary(let folder):
            "\(folder): no vocab.txt or tokenizer.json; a BERT tokenizer needs one of them"
        case .invalidOption(let message):
            message
        case .idsPastEmbeddings(let source, let ids, let rows, let config):
            "\(source): the tokenizer gives ids 0..<\(ids) (its vocabulary and added tokens), but \(config) has \(rows) embedding rows (vocab_size): ids past them are tokens the model cannot embed"
        case .cannotTruncate(let input, let maxLength, let strategy, let why):
            "input \(input + 1): cannot truncate to \(maxLength) tokens with \(strategy.rawValue): \(why)"
                + "\n---> HINT: use \(strategy == .longestFirst ? "" : "longest_first truncation or ")a larger max length"
        }
    }
}
