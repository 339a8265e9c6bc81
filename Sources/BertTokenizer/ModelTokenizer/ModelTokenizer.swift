import BertFormats
import Foundation

/// A checkpoint's tokenizer, whichever its family ships: BERT's WordPiece (`BertTokenizer`, the
/// slow tokenizer's ids) or a `tokenizers` pipeline (`PipelineTokenizer`: a tokenizer.json, or
/// the slow files transformers converts). Everything the model paths need: encoding with
/// truncation and padding, offsets, word ids, the special tokens by role, id ↔ token.
public struct ModelTokenizer: Sendable {
    public enum Backend: Sendable {
        case wordPiece(BertTokenizer)
        case pipeline(PipelineTokenizer)
    }

    public let backend: Backend
    /// tokenizer_config.json's settings (for a pipeline: the special tokens, sides, model_max_length).
    public let settings: TokenizerSettings
    public let special: SpecialTokens

    /// The special tokens by role, as transformers resolves them (tokenizer_config.json and
    /// special_tokens_map.json over the class's defaults; cls and sep from the post-processor
    /// when those name tokens the tokenizer does not have).
    public struct SpecialTokens: Sendable, Equatable {
        public struct Token: Sendable, Equatable {
            public let content: String
            public let id: Int
        }
        public var cls: Token
        public var sep: Token
        public var pad: Token
        public var unk: Token?
        public var mask: Token?
        public var bos: Token?
        public var eos: Token?
    }

    public init(_ bert: BertTokenizer) {
        backend = .wordPiece(bert)
        settings = bert.settings
        let s = bert.settings
        func tok(_ t: String?) -> SpecialTokens.Token? {
            guard let t, let id = s.addedTokens.first(where: { $0.content == t })?.id ?? bert.vocabulary[t] else { return nil }
            return SpecialTokens.Token(content: t, id: id)
        }
        special = SpecialTokens(cls: .init(content: s.clsToken, id: bert.clsTokenId), sep: .init(content: s.sepToken, id: bert.sepTokenId),
                                pad: .init(content: s.padToken, id: bert.padTokenId), unk: .init(content: s.unkToken, id: bert.unkTokenId),
                                mask: tok(s.maskToken), bos: tok(s.bosToken), eos: tok(s.eosToken))
    }

    /// `source` names the tokenizer in errors. Each role is the token the settings name; when the
    /// tokenizer has no such token (a folder without tokenizer_config.json gets BERT's names), cls
    /// and sep are the post-processor's, unk the model's, and pad and mask the RoBERTa or BERT
    /// spelling the tokenizer has. Without a cls, sep or pad token it is refused, naming each.
    public init(_ pipeline: PipelineTokenizer, settings: TokenizerSettings, source: String) throws {
        backend = .pipeline(pipeline)
        self.settings = settings
        func tok(_ candidates: String?...) -> SpecialTokens.Token? {
            for case let t? in candidates { if let id = pipeline.id(of: t) { return SpecialTokens.Token(content: t, id: id) } }
            return nil
        }
        let (postCls, postSep) = pipeline.postProcessorSpecials
        let cls = tok(settings.clsToken, postCls), sep = tok(settings.sepToken, postSep)
        let pad = tok(settings.padToken, "<pad>", "[PAD]")
        let missing = [("cls_token", settings.clsToken, cls), ("sep_token", settings.sepToken, sep), ("pad_token", settings.padToken, pad)]
            .filter { $0.2 == nil }.map { "\($0.1) (\($0.0))" }
        guard missing.isEmpty else { throw TokenizerError.missingSpecialTokens(source: source, tokens: missing) }
        special = SpecialTokens(cls: cls!, sep: sep!, pad: pad!, unk: tok(settings.unkToken, pipeline.unkToken, "<unk>", "[UNK]"),
                                mask: tok(settings.maskToken, "<mask>", "[MASK]"), bos: tok(settings.bosToken), eos: tok(settings.eosToken))
    }

    /// The tokenizer of a checkpoint's parts: a WordPiece `vocabulary` (BERT) or, without one, the
    /// pipeline its verbatim `files` hold (`TokenizerFiles.Source`: tokenizer.json, else vocab.json +
    /// merges.txt, else a SentencePiece model). nil when there is neither.
    public init?(vocabulary: Vocabulary?, settings: TokenizerSettings?, files: [String: [UInt8]], modelType: String?,
                 source: String) throws {
        let s = settings ?? TokenizerSettings()
        if let vocabulary {
            self.init(try BertTokenizer(vocabulary: vocabulary, settings: s, source: source))
            return
        }
        let pipeline: PipelineTokenizer
        if let json = files["tokenizer.json"] {
            pipeline = try PipelineTokenizer(tokenizerJSON: json, file: source + ": tokenizer.json")
        } else if let v = files["vocab.json"], let m = files["merges.txt"] {
            // RobertaConverter: the config's add_prefix_space and trim_offsets, the class's special tokens.
            let prefix = s.raw["add_prefix_space"]?.boolValue ?? false, trim = s.raw["trim_offsets"]?.boolValue ?? true
            pipeline = try PipelineTokenizer(vocabJSON: v, merges: m, files: (source + ": vocab.json", source + ": merges.txt"),
                                             addPrefixSpace: prefix, trimOffsets: trim,
                                             special: (s.clsToken, s.sepToken, s.padToken, s.unkToken, s.maskToken))
        } else if let (name, bytes) = TokenizerFiles.slowNames.filter({ $0.hasSuffix(".model") }).lazy
            .compactMap({ n in files[n].map { (n, $0) } }).first {
            // The family decides the converter; the file name is transformers' for each
            // (XLMRobertaTokenizer's sentencepiece.bpe.model, AlbertTokenizer's spiece.model).
            let albert = modelType.map { $0 == "albert" } ?? (name == "spiece.model")
            let family: PipelineTokenizer.SentencePieceFamily = albert
                ? .albert(lowercase: s.raw["do_lower_case"]?.boolValue ?? true, keepAccents: s.raw["keep_accents"]?.boolValue ?? false)
                : .xlmRoberta
            pipeline = try PipelineTokenizer(sentencePieceModel: bytes, file: source + ": " + name, family: family)
        } else {
            return nil
        }
        try self.init(pipeline, settings: s, source: source)
    }

    // MARK: Ids and tokens

    /// Ids the tokenizer can give: the vocabulary and added tokens (`len(tokenizer)`).
    public var vocabularySize: Int {
        switch backend {
        case .wordPiece(let b): max(b.vocabulary.count, (b.settings.addedTokens.map(\.id).max() ?? -1) + 1)
        case .pipeline(let p): p.vocabularySize
        }
    }

    public var clsTokenId: Int { special.cls.id }
    public var sepTokenId: Int { special.sep.id }
    public var padTokenId: Int { special.pad.id }
    public var unkTokenId: Int? { special.unk?.id }
    public var maskTokenId: Int? { special.mask?.id }

    /// BERT's WordPiece vocabulary, when that is the tokenizer.
    public var vocabulary: Vocabulary? {
        if case .wordPiece(let b) = backend { return b.vocabulary }
        return nil
    }

    /// `get_vocab()[token]`: the added tokens and the vocabulary; nil for a token it does not have.
    public func id(of token: String) -> Int? {
        switch backend {
        case .wordPiece(let b): b.settings.addedTokens.first(where: { $0.content == token })?.id ?? b.vocabulary[token]
        case .pipeline(let p): p.id(of: token)
        }
    }

    /// `convert_ids_to_tokens` for one id.
    public func token(of id: Int) -> String {
        switch backend {
        case .wordPiece(let b): b.token(of: id)
        case .pipeline(let p): p.token(of: id) ?? special.unk?.content ?? ""
        }
    }

    /// The model's `continuing_subword_prefix` (`##` for WordPiece; nil for byte-level BPE and
    /// Unigram), which decides how the token-classification pipeline finds sub-words. RoBERTa's
    /// tokenizer.json says `"continuing_subword_prefix": ""`: the pipeline's
    /// `getattr(model, "continuing_subword_prefix", None)` is then falsy, so "" is nil here too.
    public var continuingSubwordPrefix: String? {
        switch backend {
        case .wordPiece: "##"
        case .pipeline(let p): p.continuingSubwordPrefix.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// `all_special_ids`: the special tokens by role and the additional special tokens (never
    /// masked by the MLM collator).
    public var allSpecialIds: Set<Int> {
        switch backend {
        case .wordPiece:
            // BertTokenizer's all_special_tokens: cls, sep, pad, unk, mask, then the additional ones.
            return Set(settings.specialTokens.compactMap(id(of:)))
        case .pipeline:
            let roles = [special.cls, special.sep, special.pad, special.unk, special.mask, special.bos, special.eos].compactMap { $0?.id }
            return Set(roles + settings.additionalSpecialTokens.compactMap(id(of:)))
        }
    }

    /// Whether `skip_special_tokens` drops `id`: the special tokens by role and special added tokens.
    public func isSpecial(_ id: Int) -> Bool {
        if [special.cls, special.sep, special.pad, special.unk, special.mask, special.bos, special.eos].contains(where: { $0?.id == id }) {
            return true
        }
        switch backend {
        case .wordPiece(let b): return b.settings.addedTokens.contains { $0.id == id && $0.special }
        case .pipeline(let p): return p.isSpecial(id)
        }
    }

    // MARK: Text

    /// The tokens of `text` without special tokens, each with its code-point span.
    public func tokenize(_ text: String) throws -> (ids: [Int], offsets: [Range<Int>]) {
        switch backend {
        case .wordPiece(let b):
            return b.tokenize(text)
        case .pipeline(let p):
            let t = try p.encodeSequence(text, typeId: 0)
            return (t.map { Int($0.id) }, t.map { $0.start..<$0.end })
        }
    }

    /// The token strings of `text` (transformers' `tokenize`).
    public func tokens(_ text: String) throws -> [String] {
        switch backend {
        case .wordPiece(let b): b.tokens(text)
        case .pipeline(let p): try p.encodeSequence(text, typeId: 0).map(\.value)
        }
    }

    /// `tokenizer(text, text_pair=pair, ...)` for one input.
    public func encode(_ text: String, pair: String? = nil, options: EncodingOptions = EncodingOptions()) throws -> Encoding {
        switch backend {
        case .wordPiece(let b): try b.encode(text, pair: pair, options: options)
        case .pipeline: try encode([TextInput(text, pair: pair)], options: options)[0]
        }
    }

    /// A batch; `.longest` padding pads to the batch's longest input.
    public func encode(_ inputs: [TextInput], options: EncodingOptions = EncodingOptions()) throws -> [Encoding] {
        switch backend {
        case .wordPiece(let b):
            return try b.encode(inputs, options: options)
        case .pipeline(let p):
            let plan = try EncodingPlan(options: options, settings: settings)
            var out = try inputs.enumerated().map { i, input in try p.assemble(input, i, plan) }
            if let length = plan.padLength(out.map(\.count)) {
                for i in out.indices { p.pad(&out[i], to: length, id: padTokenId, token: special.pad.content, left: settings.paddingSide == "left") }
            }
            return out
        }
    }

    /// Each token's word index (`word_ids()`), nil for special and padding tokens. A pipeline
    /// numbers its pre-tokenizer's splits; for BERT's WordPiece a word is what BasicTokenizer
    /// split off, so a token starts a word unless it is a `##` continuation.
    public func wordIds(_ e: Encoding) -> [Int?] {
        if !e.wordIds.isEmpty || e.count == 0 { return e.wordIds }
        var word = -1, sequence = -1
        let sequences = sequenceIds(e)
        return e.inputIds.indices.map { i -> Int? in
            guard let s = sequences[i] else { return nil }
            if s != sequence { (sequence, word) = (s, -1) }
            if word < 0 || !e.tokens[i].utf8.starts(with: "##".utf8) { word += 1 }
            return word
        }
    }

    /// Each token's text (`sequence_ids()`): 0 or 1, nil for special and padding tokens.
    public func sequenceIds(_ e: Encoding) -> [Int?] {
        if !e.sequenceIds.isEmpty || e.count == 0 { return e.sequenceIds }
        // BERT: [CLS] A [SEP] (B [SEP]); the token types say which text, the offsets which are special.
        var sequence = 0, out: [Int?] = []
        for i in e.inputIds.indices {
            let real = e.attentionMask[i] == 1
            let isSep = e.inputIds[i] == sepTokenId && e.offsets[i].isEmpty
            let isCls = i == 0 && e.inputIds[i] == clsTokenId && e.offsets[i].isEmpty
            if !real || isCls {
                out.append(nil)
            } else if isSep {
                out.append(nil)
                sequence += 1
            } else {
                out.append(sequence)
            }
        }
        return out
    }

    /// `special_tokens_mask`: 1 for the tokens the post-processor added (and padding).
    public func specialTokensMask(_ e: Encoding) -> [Int] {
        if !e.specialTokensMask.isEmpty || e.count == 0 { return e.specialTokensMask }
        return sequenceIds(e).map { $0 == nil ? 1 : 0 }
    }
}

extension ModelTokenizer {
    /// One text's tokens before special tokens, with the word each came from.
    public struct TextTokens: Sendable, Equatable {
        public var ids: [Int]
        public var offsets: [Range<Int>]
        public var words: [Int]
        public var count: Int { ids.count }

        public subscript(r: Range<Int>) -> TextTokens {
            TextTokens(ids: Array(ids[r]), offsets: Array(offsets[r]), words: Array(words[r]))
        }
    }

    public func textTokens(_ text: String) throws -> TextTokens {
        switch backend {
        case .wordPiece(let b):
            let (ids, offsets) = b.tokenize(text)
            var word = -1
            let words = ids.map { id -> Int in
                // BasicTokenizer's words: a new one at every token that is not a "##" continuation.
                if word < 0 || !b.token(of: id).utf8.starts(with: "##".utf8) { word += 1 }
                return word
            }
            return TextTokens(ids: ids, offsets: offsets, words: words)
        case .pipeline(let p):
            let t = try p.encodeSequence(text, typeId: 0)
            return TextTokens(ids: t.map { Int($0.id) }, offsets: t.map { $0.start..<$0.end }, words: t.map { Int($0.word) })
        }
    }

    /// The special tokens around one text or a pair: 2 and 3 for BERT, 2 and 4 for RoBERTa.
    public func specialTokenCount(pair: Bool) -> Int {
        switch backend {
        case .wordPiece: pair ? 3 : 2
        case .pipeline(let p): p.specialTokenCount(pair: pair)
        }
    }

    /// `post_process` of already cut texts: the special tokens, type ids, sequence ids and word ids
    /// around `a` (and `b`), as the fast tokenizer builds each overflow window.
    public func withSpecialTokens(_ a: TextTokens, _ b: TextTokens?) -> Encoding {
        var e: Encoding
        switch backend {
        case .wordPiece:
            let none = 0..<0
            let bIds = b?.ids ?? [], bOffsets = b?.offsets ?? [], bWords = b?.words.map { Optional($0) } ?? []
            let head = a.count + 2
            e = Encoding(inputIds: [clsTokenId] + a.ids + [sepTokenId] + bIds + (b == nil ? [] : [sepTokenId]),
                         tokenTypeIds: [Int](repeating: 0, count: head) + [Int](repeating: 1, count: b.map { $0.count + 1 } ?? 0),
                         attentionMask: [], tokens: [], offsets: [none] + a.offsets + [none] + bOffsets + (b == nil ? [] : [none]))
            e.wordIds = [nil] + a.words.map { Optional($0) } + [nil] + bWords + (b == nil ? [] : [nil])
            e.sequenceIds = [nil] + a.ids.map { _ in 0 } + [nil] + (b?.ids.map { _ in 1 } ?? []) + (b == nil ? [] : [nil])
        case .pipeline(let p):
            func run(_ t: TextTokens, _ seq: Int8) -> [OutToken] {
                t.ids.indices.map { i in
                    OutToken(id: Int32(t.ids[i]), value: p.token(of: t.ids[i]) ?? "", start: t.offsets[i].lowerBound,
                             end: t.offsets[i].upperBound, typeId: Int32(seq), special: p.isSpecial(t.ids[i]), word: Int32(t.words[i]),
                             sequence: seq)
                }
            }
            let sequences = [run(a, 0)] + (b.map { [run($0, 1)] } ?? [])
            let all = (p.postProcessor?.process(sequences, addSpecialTokens: true) ?? sequences).flatMap { $0 }
            e = Encoding(inputIds: all.map { Int($0.id) }, tokenTypeIds: all.map { Int($0.typeId) }, attentionMask: [], tokens: [],
                         offsets: all.map { $0.start..<$0.end })
            e.wordIds = all.map { $0.word < 0 ? nil : Int($0.word) }
            e.sequenceIds = all.map { $0.sequence < 0 ? nil : Int($0.sequence) }
        }
        e.attentionMask = [Int](repeating: 1, count: e.count)
        e.tokens = e.inputIds.map(token(of:))
        e.specialTokensMask = e.sequenceIds.map { $0 == nil ? 1 : 0 }
        return e
    }
}
