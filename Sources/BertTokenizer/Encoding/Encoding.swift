/// One encoded input, as transformers' `BatchEncoding` holds it for a single text or pair.
public struct Encoding: Sendable, Equatable {
    public var inputIds: [Int]
    public var tokenTypeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    public var tokens: [String]
    /// Each token's code-point span in its own text (the first text or the pair); special tokens
    /// and padding have `0..<0`, as in transformers' fast tokenizers.
    public var offsets: [Range<Int>]
    /// A pipeline tokenizer's `word_ids()`, `sequence_ids()` and `special_tokens_mask`, one per
    /// token; empty from BertTokenizer (`ModelTokenizer` derives them: see `wordIds(_:)`).
    public var wordIds: [Int?] = []
    public var sequenceIds: [Int?] = []
    public var specialTokensMask: [Int] = []

    public var count: Int { inputIds.count }
}

/// transformers' truncation strategies.
public enum Truncation: String, Sendable, CaseIterable {
    case none = "do_not_truncate"
    case longestFirst = "longest_first"
    case onlyFirst = "only_first"
    case onlySecond = "only_second"
}

/// Whose rule cuts a pair that is too long (formats/tokenizer.md §4). The two differ only for
/// `longest_first` pairs that must lose tokens from both texts (which text keeps the odd token of
/// the budget), and where the max length leaves room for the special tokens alone.
public enum TruncationRule: String, Sendable, CaseIterable {
    /// The Rust `tokenizers` library, which transformers 5's `BertTokenizer` and `AutoTokenizer`
    /// (transformers 4's `BertTokenizerFast`) run: what most users get.
    case rust
    /// transformers' Python tokenizer: `BertTokenizerLegacy` in transformers 5, the slow
    /// `BertTokenizer` of transformers 4.
    case python
}

/// transformers' padding strategies.
public enum Padding: String, Sendable, CaseIterable {
    case none = "do_not_pad"
    /// To the longest input of the batch.
    case longest
    /// To `maxLength` (or the model's `model_max_length`).
    case maxLength = "max_length"
}

public struct EncodingOptions: Sendable, Equatable {
    public var addSpecialTokens = true
    /// With truncation, the longest an encoding may be, special tokens included; with
    /// `.maxLength` padding, the length to pad to. nil: the settings' `model_max_length`.
    public var maxLength: Int?
    /// nil: `.longestFirst` when `maxLength` is set, else `.none` (transformers' rule).
    public var truncation: Truncation?
    public var truncationRule: TruncationRule = .rust
    public var padding: Padding = .none

    public init(addSpecialTokens: Bool = true, maxLength: Int? = nil, truncation: Truncation? = nil,
                truncationRule: TruncationRule = .rust, padding: Padding = .none) {
        self.addSpecialTokens = addSpecialTokens
        self.maxLength = maxLength
        self.truncation = truncation
        self.truncationRule = truncationRule
        self.padding = padding
    }
}

/// A text, or a pair of texts encoded together ("[CLS] A [SEP] B [SEP]").
public struct TextInput: Sendable, Equatable {
    public var text: String
    public var pair: String?
    public init(_ text: String, pair: String? = nil) {
        self.text = text
        self.pair = pair
    }
}
