import BertFormats

/// Everything an encode call reads, built once from a vocabulary and settings. Immutable.
final class TokenizerModel: Sendable {
    let vocabulary: Vocabulary
    let settings: TokenizerSettings
    let wordPiece: WordPiece
    let addedTokens: AddedTokenSplitter
    let unkId: Int32, clsId: Int32, sepId: Int32, padId: Int32
    // Settings read in the hot loop, copied out of `settings` once.
    let doLowerCase: Bool, stripsAccents: Bool, tokenizeChineseChars: Bool, doBasicTokenize: Bool, padsLeft: Bool
    /// Added tokens whose ids lie past the vocabulary, by id.
    private let extraTokens: [Int: String]
    /// Added tokens by content (transformers looks these up before the vocabulary).
    private let addedIds: [String: Int32]
    /// BasicTokenizer's never_split: the config's list plus every special token.
    private let basicNeverSplit: Set<String>
    /// The first UTF-8 bytes of never_split entries: a quick filter before a string lookup.
    let basicNeverSplitFirst: ByteSet
    /// The config's never_split alone: these words skip WordPiece.
    private let configNeverSplit: Set<String>
    let configNeverSplitFirst: ByteSet

    init(vocabulary: Vocabulary, settings: TokenizerSettings, source: String) throws {
        self.vocabulary = vocabulary
        self.settings = settings
        doLowerCase = settings.doLowerCase
        stripsAccents = settings.stripsAccents
        tokenizeChineseChars = settings.tokenizeChineseChars
        doBasicTokenize = settings.doBasicTokenize
        padsLeft = settings.paddingSide == "left"
        var addedIds = [String: Int32](), extra = [Int: String]()
        for t in settings.addedTokens {
            if t.singleWord {
                throw TokenizerError.unsupported(source: source, what: "added token \"\(t.content)\" has single_word: true")
            }
            addedIds[t.content] = Int32(t.id)
            if t.id >= vocabulary.count { extra[t.id] = t.content }
        }
        func id(_ token: String) -> Int32? { addedIds[token] ?? vocabulary[token].map(Int32.init) }
        let required = [("unk_token", settings.unkToken), ("cls_token", settings.clsToken),
                        ("sep_token", settings.sepToken), ("pad_token", settings.padToken)]
        let missing = required.filter { id($0.1) == nil }.map { "\($0.1) (\($0.0))" }
        guard missing.isEmpty else { throw TokenizerError.missingSpecialTokens(source: source, tokens: missing) }
        unkId = id(settings.unkToken)!
        clsId = id(settings.clsToken)!
        sepId = id(settings.sepToken)!
        padId = id(settings.padToken)!
        wordPiece = WordPiece(vocabulary: vocabulary.tokens, unkId: Int(unkId))

        // Special tokens are matched in the text as added tokens; one missing from the vocabulary
        // (a [MASK] some models lack) is left to WordPiece.
        var split: [(content: String, id: Int, lstrip: Bool, rstrip: Bool)] =
            settings.addedTokens.map { ($0.content, $0.id, $0.lstrip, $0.rstrip) }
        for t in settings.specialTokens where addedIds[t] == nil {
            if let i = id(t) { split.append((t, Int(i), false, false)) }
        }
        for t in split { addedIds[t.content] = Int32(t.id) }
        // split_special_tokens: transformers 5 skips the added-token split entirely.
        addedTokens = AddedTokenSplitter(settings.splitSpecialTokens ? [] : split)
        self.addedIds = addedIds
        extraTokens = extra
        configNeverSplit = Set(settings.neverSplit)
        func firstBytes(_ words: some Sequence<String>) -> ByteSet {
            var t = ByteSet()
            for w in words { if let b = w.utf8.first { t.insert(b) } }
            return t
        }
        configNeverSplitFirst = firstBytes(settings.neverSplit)
        basicNeverSplit = configNeverSplit.union(settings.specialTokens)
        basicNeverSplitFirst = firstBytes(basicNeverSplit)
    }

    /// transformers' `convert_tokens_to_ids` for one token: added tokens, the vocabulary, else [UNK].
    func id(of token: String) -> Int32 { addedIds[token] ?? vocabulary[token].map(Int32.init) ?? unkId }

    func token(of id: Int) -> String {
        id < vocabulary.count ? vocabulary.tokens[id] : extraTokens[id] ?? settings.unkToken
    }

    @inline(__always)
    func isNeverSplit(_ w: CharBuffer) -> Bool {
        guard !w.isEmpty, basicNeverSplitFirst.contains(leadByte(w.scalars[0])) else { return false }
        return basicNeverSplit.contains(w.string())
    }

    /// The id of code points `[from, to)` of `w` if the config's never_split lists them.
    @inline(__always)
    func neverSplitId(_ w: CharBuffer, _ from: Int, _ to: Int) -> Int32? {
        guard configNeverSplitFirst.contains(leadByte(w.scalars[from])) else { return nil }
        let s = w.string(from, to)
        return configNeverSplit.contains(s) ? id(of: s) : nil
    }

    /// `isNeverSplit` for `n` ASCII bytes.
    @inline(__always)
    func isNeverSplit(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard basicNeverSplitFirst.contains(p[0]) else { return false }
        return basicNeverSplit.contains(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
    }

    /// `neverSplitId` for `n` ASCII bytes.
    @inline(__always)
    func neverSplitId(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard configNeverSplitFirst.contains(p[0]) else { return nil }
        let s = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        return configNeverSplit.contains(s) ? id(of: s) : nil
    }
}

/// The first byte of the UTF-8 encoding of `c`.
@inline(__always)
func leadByte(_ c: UInt32) -> UInt8 {
    if c < 0x80 { return UInt8(c) }
    if c < 0x800 { return UInt8(0xC0 | c >> 6) }
    if c < 0x10000 { return UInt8(0xE0 | c >> 12) }
    return UInt8(0xF0 | c >> 18)
}

/// A set of bytes in four words: copied freely, no reference counting.
struct ByteSet: Sendable {
    private var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    var isEmpty: Bool { bits.0 | bits.1 | bits.2 | bits.3 == 0 }

    mutating func insert(_ b: UInt8) {
        let m = UInt64(1) << (b & 63)
        switch b >> 6 {
        case 0: bits.0 |= m
        case 1: bits.1 |= m
        case 2: bits.2 |= m
        default: bits.3 |= m
        }
    }

    @inline(__always)
    func contains(_ b: UInt8) -> Bool {
        let w: UInt64
        switch b >> 6 {
        case 0: w = bits.0
        case 1: w = bits.1
        case 2: w = bits.2
        default: w = bits.3
        }
        return w >> (b & 63) & 1 != 0
    }
}
