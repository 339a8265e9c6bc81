import BertFormats
import Foundation

// Mirrors huggingface/tokenizers `tokenizer/mod.rs` (`encode_single_sequence`, `post_process`,
// `decode`) over the nodes of `tokenizer/serialization.rs`: added tokens out, normalizer,
// pre-tokenizer, model, post-processor; offsets are code points of the input, as the Python
// binding reports them (`BytesToCharOffsetConverter` in `pre_tokenizer.rs`).

/// One encoded input, as `tokenizers`' `Encoding` has it.
public struct PipelineEncoding: Equatable, Sendable {
    public var ids: [Int]
    public var tokens: [String]
    /// Code-point offsets into the text the token came from (the first or the second of a pair).
    public var offsets: [Range<Int>]
    public var typeIds: [Int]
    public var specialTokensMask: [Int]
}

/// A tokenizer described by a `tokenizer.json` pipeline: WordPiece, byte-level BPE (RoBERTa) or
/// Unigram (XLM-R, ALBERT) models with their normalizers, pre-tokenizers, post-processors and
/// decoders. Every node and option it does not implement is refused by name when read.
public struct PipelineTokenizer: Sendable {
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: TokenModel
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    let addedTokens: [PipelineAddedToken]
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let vocabulary: [String]
    private let addedById: [Int32: PipelineAddedToken]
    /// Whether each id up to the largest added one is a special added token (read per token).
    private let specialById: [Bool]
    private let ids: [String: Int32]

    /// Reads a `tokenizer.json`.
    public init(tokenizerJSON path: String) throws {
        // Deep enough for nested Sequence nodes; the vocabulary is flat.
        try self.init(json: try JSONParser.parse(contentsOf: path), file: path)
    }

    /// A `tokenizer.json`'s bytes; `file` names it in errors.
    public init(tokenizerJSON bytes: [UInt8], file: String) throws {
        try self.init(json: try JSONParser.parse(bytes, file: file), file: file)
    }

    public init(json: JSONValue, file: String) throws {
        let root = try JSONNode(json, path: "", file: file)
        try root.expectKeys(["version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "model",
                             "post_processor", "decoder"])
        // truncation and padding are left to the caller, as transformers' from_pretrained does.
        let added = root.has("added_tokens") ? try root.children("added_tokens").map(PipelineAddedToken.init) : []
        try self.init(normalizer: root.has("normalizer") ? try Normalizer(root.child("normalizer")) : nil,
                      preTokenizer: root.has("pre_tokenizer") ? try PreTokenizer(root.child("pre_tokenizer")) : nil,
                      model: try TokenModel(root.child("model")),
                      postProcessor: root.has("post_processor") ? try PostProcessor(root.child("post_processor")) : nil,
                      decoder: root.has("decoder") ? try Decoder(root.child("decoder")) : nil,
                      addedTokens: added)
    }

    init(normalizer: Normalizer?, preTokenizer: PreTokenizer?, model: TokenModel, postProcessor: PostProcessor?,
         decoder: Decoder?, addedTokens: [PipelineAddedToken]) throws {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        vocabulary = model.tokens
        var byId = [Int32: PipelineAddedToken](), ids = [String: Int32](minimumCapacity: vocabulary.count)
        for (i, t) in vocabulary.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
        for t in addedTokens {
            byId[t.id] = t
            ids[t.content] = t.id
        }
        addedById = byId
        var special = [Bool](repeating: false, count: Int(addedTokens.map(\.id).max() ?? -1) + 1)
        for t in addedTokens where t.special { special[Int(t.id)] = true }
        specialById = special
        self.ids = ids
        var raw: [(pattern: [UInt32], token: PipelineAddedToken)] = [], normalized = raw
        for t in addedTokens {
            if t.normalized {
                var n = NormalizedText(t.content)
                normalizer?.normalize(&n)
                normalized.append((n.chars, t))
            } else {
                raw.append((t.content.scalarValues, t))
            }
        }
        rawMatcher = AddedTokenMatcher(raw)
        normalizedMatcher = AddedTokenMatcher(normalized)
    }

    /// The vocabulary size with added tokens (`get_vocab_size(with_added_tokens=True)`).
    public var vocabularySize: Int { max(vocabulary.count, (addedTokens.map { Int($0.id) }.max() ?? -1) + 1) }

    public func token(of id: Int) -> String? {
        if let t = addedById[Int32(id)] { return t.content }
        return id >= 0 && id < vocabulary.count ? vocabulary[id] : nil
    }

    public func id(of token: String) -> Int? { ids[token].map(Int.init) }

    /// `tokenizer.encode(text, pair, add_special_tokens=...)`.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) throws -> PipelineEncoding {
        var sequences = [try encodeSequence(text, typeId: 0)]
        if let pair { sequences.append(try encodeSequence(pair, typeId: 1)) }
        let parts = postProcessor?.process(sequences, addSpecialTokens: addSpecialTokens) ?? sequences
        let all = parts.flatMap { $0 }
        return PipelineEncoding(ids: all.map { Int($0.id) }, tokens: all.map(\.value), offsets: all.map { $0.start..<$0.end },
                                typeIds: all.map { Int($0.typeId) }, specialTokensMask: all.map { $0.special ? 1 : 0 })
    }

    /// `tokenizer.decode(ids, skip_special_tokens=...)`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        let tokens = ids.compactMap { id -> String? in
            if let t = addedById[Int32(id)] { return skipSpecialTokens && t.special ? nil : t.content }
            return id >= 0 && id < vocabulary.count ? vocabulary[id] : nil
        }
        return decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    /// `convert_tokens_to_string`: the decoder on token strings.
    public func decode(tokens: [String]) -> String { decoder?.decode(tokens) ?? tokens.joined(separator: " ") }

    /// The tokens of one text before the post-processor; `typeId` is also the sequence (0 or 1).
    /// Each token's `word` is the index of the split it came from (an added token is one), as
    /// `PreTokenizedString::into_encoding` numbers words.
    func encodeSequence(_ text: String, typeId: Int32) throws -> [OutToken] {
        // 1. Added tokens in the original text; 2. normalize the rest, then added tokens in it.
        let whole = NormalizedText(text)
        var splits: [(NormalizedText, Int32?)] = []
        for (piece, id) in rawMatcher.split(whole) where !piece.isEmpty {
            if id != nil {
                splits.append((piece, id))
                continue
            }
            var p = piece
            normalizer?.normalize(&p)
            for s in normalizedMatcher.split(p) where !s.0.isEmpty { splits.append(s) }
        }
        // 3. Pre-tokenize and tokenize what is not an added token.
        let converter = CharOffsets(text, ascii: whole.count == text.utf8.count)
        var out: [OutToken] = [], pieceTokens: [PieceToken] = [], scratch = ModelScratch()
        out.reserveCapacity(whole.count / 2 + 4)
        var word: Int32 = 0
        for (split, id) in splits {
            if let id {
                out.append(token(id, split.string, split.originalStart..<split.originalEnd, converter, typeId, word: word))
                word += 1
                continue
            }
            var pieces = [split]
            preTokenizer?.apply(&pieces)
            for piece in pieces {
                defer { word += 1 }
                pieceTokens.removeAll(keepingCapacity: true)
                do { try model.tokenize(piece, into: &pieceTokens, scratch: &scratch) } catch {
                    guard case .noUnknownPiece(let s) = error else { throw error }
                    throw TokenizerPipelineError(file: "input", path: "model.unk_id",
                                        "the Unigram model has no unk_id and no piece for \"\(s)\"")
                }
                for t in pieceTokens {
                    let value = modelTokenValue(t, piece)
                    out.append(token(t.id, value, piece.originalRange(t.start..<t.end), converter, typeId, word: word))
                }
            }
        }
        return out
    }

    private func modelTokenValue(_ t: PieceToken, _ piece: NormalizedText) -> String {
        // Unigram tokens are the text they cover: the piece itself, except for a (fused) unknown;
        // byte fallbacks and the other models' tokens are vocabulary strings.
        if case .unigram(let u) = model, t.id == u.unkId, !isByteToken(t.id) {
            return String(unicodeScalars: piece.chars[t.start..<t.end])
        }
        return Int(t.id) < vocabulary.count ? vocabulary[Int(t.id)] : ""
    }

    private func isByteToken(_ id: Int32) -> Bool {
        let s = Int(id) < vocabulary.count ? vocabulary[Int(id)] : ""
        return s.utf8.count == 6 && s.hasPrefix("<0x") && s.hasSuffix(">")
    }

    private func token(_ id: Int32, _ value: String, _ bytes: Range<Int>, _ c: CharOffsets, _ typeId: Int32, word: Int32) -> OutToken {
        let r = c.convert(bytes)
        let special = id >= 0 && Int(id) < specialById.count && specialById[Int(id)]
        return OutToken(id: id, value: value, start: r.lowerBound, end: r.upperBound, typeId: typeId, special: special,
                        word: word, sequence: Int8(typeId))
    }

    /// Whether `id` is a special added token (`skip_special_tokens` drops it).
    func isSpecial(_ id: Int) -> Bool { addedById[Int32(id)]?.special ?? false }

    /// The model's `continuing_subword_prefix` (WordPiece's `##`; a BPE model's, if it has one).
    public var continuingSubwordPrefix: String? {
        switch model {
        case .wordPiece: WordPiece.prefix
        case .bpe(let b): b.continuingSubwordPrefix
        case .unigram: nil
        }
    }
}

/// `BytesToCharOffsetConverter`: UTF-8 byte offsets to code-point offsets (the same for ASCII).
private struct CharOffsets {
    private var charOfByte: [Int] = []

    init(_ text: String, ascii: Bool) {
        guard !ascii else { return }
        charOfByte.reserveCapacity(text.utf8.count)
        var i = 0
        for s in text.unicodeScalars {
            for _ in 0..<UTF8.width(s) { charOfByte.append(i) }
            i += 1
        }
    }

    func convert(_ r: Range<Int>) -> Range<Int> {
        guard r.lowerBound < charOfByte.count else { return r }
        let start = charOfByte[r.lowerBound]
        if r.upperBound < charOfByte.count { return start..<max(start, charOfByte[r.upperBound]) }
        return start..<(r.upperBound > 0 ? charOfByte[r.upperBound - 1] + 1 : start + 1)
    }
}
