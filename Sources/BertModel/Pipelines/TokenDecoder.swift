import BertFormats
import BertTokenizer

// transformers 5.23 `tokenizer.decode(ids, skip_special_tokens=)` for BERT (TokenizersBackend._decode):
// tokenizers' Tokenizer::decode (tokenizer/mod.rs) maps each id to its added token's content or its
// vocabulary entry, drops special tokens when asked, and runs the WordPiece decoder
// (decoders/wordpiece.rs, prefix "##", cleanup on: what ModelTokenizer builds and MiniLM's
// tokenizer.json says); then transformers' clean_up_tokenization when the tokenizer config sets
// clean_up_tokenization_spaces (its default in transformers 5 is false).

// For a pipeline tokenizer (RoBERTa, XLM-R, ALBERT, …) it is the same call with the tokenizer.json's
// own decoder (ByteLevel, Metaspace, …): `PipelineTokenizer.decode`.

/// Token ids back to text, as transformers' `tokenizer.decode` does.
public struct TokenDecoder: Sendable {
    private var pipeline: PipelineTokenizer?
    private let vocabulary: [String]
    /// Added tokens by id; they win over the vocabulary entry of the same id.
    private let added: [Int: String]
    /// Token strings `skip_special_tokens` drops: the special tokens and special added tokens.
    private let special: Set<String>
    public let cleanUpTokenizationSpaces: Bool

    public init(vocabulary: Vocabulary, settings: TokenizerSettings) {
        self.vocabulary = vocabulary.tokens
        added = Dictionary(settings.addedTokens.map { ($0.id, $0.content) }, uniquingKeysWith: { $1 })
        special = Set(settings.specialTokens + settings.addedTokens.filter(\.special).map(\.content))
        cleanUpTokenizationSpaces = settings.raw["clean_up_tokenization_spaces"]?.boolValue ?? false
    }

    /// The decoder of a model's tokenizer: WordPiece's for BERT, the tokenizer.json decoder otherwise.
    public init(tokenizer: ModelTokenizer) {
        switch tokenizer.backend {
        case .wordPiece(let b):
            self.init(vocabulary: b.vocabulary, settings: b.settings)
        case .pipeline(let p):
            // The pipeline holds the vocabulary, added tokens and decoder; the settings say whether to clean up.
            self.init(vocabulary: .empty, settings: tokenizer.settings)
            pipeline = p
        }
    }

    /// The text of `ids`; an id that is neither added nor in the vocabulary is left out, as
    /// tokenizers does.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        if let pipeline {
            let text = pipeline.decode(ids, skipSpecialTokens: skipSpecialTokens)
            return cleanUpTokenizationSpaces ? Self.cleanUpTokenization(text) : text
        }
        let tokens = ids.compactMap { id -> String? in
            let t = added[id] ?? (id >= 0 && id < vocabulary.count ? vocabulary[id] : nil)
            return t.flatMap { skipSpecialTokens && special.contains($0) ? nil : $0 }
        }
        // decode_chain: every token but the first loses its "##" or gains a leading space, then
        // each token is cleaned on its own (so " do not" never matches across two tokens).
        var text = ""
        for (i, token) in tokens.enumerated() {
            var t = token
            // By bytes: "##" before a combining mark is one Character ("#\u{93F}"), so String.hasPrefix misses it.
            if i > 0 { t = t.utf8.starts(with: "##".utf8) ? String(decoding: t.utf8.dropFirst(2), as: UTF8.self) : " " + t }
            text += Self.wordPieceCleanup(t)
        }
        return cleanUpTokenizationSpaces ? Self.cleanUpTokenization(text) : text
    }

    /// tokenizers' `decoders::wordpiece::cleanup`, in its order (the one table, WordPieceDecoder's).
    static func wordPieceCleanup(_ s: String) -> String {
        guard s.utf8.contains(0x20) else { return s }  // every pattern holds a space
        return replacing(s, WordPieceDecoder.cleanups)
    }

    /// transformers' `clean_up_tokenization` (tokenization_utils_base.py), in its order.
    static func cleanUpTokenization(_ s: String) -> String {
        replacing(s, [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                      (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")])
    }

    /// Python's str.replace applied pattern by pattern, matching bytes (not grapheme clusters: a
    /// space followed by a combining mark is still a space).
    private static func replacing(_ s: String, _ patterns: [(String, String)]) -> String {
        var bytes = Array(s.utf8)
        for (from, to) in patterns {
            let f = Array(from.utf8), t = Array(to.utf8)
            var out: [UInt8] = [], i = 0
            out.reserveCapacity(bytes.count)
            while i < bytes.count {
                if bytes[i] == f[0], i + f.count <= bytes.count, bytes[i..<i + f.count].elementsEqual(f) {
                    out += t
                    i += f.count
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            bytes = out
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
