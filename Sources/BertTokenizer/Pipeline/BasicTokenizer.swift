// Mirrors transformers' BasicTokenizer (models/bert/tokenization_bert_legacy.py) and its caller
// BertTokenizerLegacy._tokenize, fused into one pass over UTF-8 so no intermediate string is built:
//   _clean_text            drop U+0000, U+FFFD and C* (but \t \n \r); whitespace becomes a space
//   _tokenize_chinese_chars   a CJK ideograph is a word of its own
//   normalize("NFC") + whitespace_tokenize   then one word at a time:
//   never_split            a word in never_split (or a special token) is kept whole
//   lower() / _run_strip_accents (NFD, drop Mn)
//   _run_split_on_punc     every punctuation code point is a word of its own
//   WordpieceTokenizer     unless the word is in the config's never_split
// NFC never joins code points across a space, so normalizing word by word equals normalizing the
// whole text.

/// The working buffers of one encode call. Not shared: each thread makes its own.
struct TextEncoder {
    let model: TokenizerModel
    private var word = CharBuffer()
    private var spare = CharBuffer()
    private var scratch = CharBuffer()
    private var piece = PieceBuffer()
    private var segments: [Segment] = []
    var sink = TokenSink()

    init(model: TokenizerModel) { self.model = model }

    /// Appends the tokens of `text` (no [CLS]/[SEP]) to `sink`.
    mutating func encode(_ text: UnsafeBufferPointer<UInt8>) {
        if model.addedTokens.isEmpty {
            encodeText(text, 0, text.count, cp: 0)
            return
        }
        model.addedTokens.split(text, into: &segments)
        var cp: Int32 = 0, pos = 0
        for s in segments {
            cp += codePoints(text, pos, s.start)
            let n = codePoints(text, s.start, s.end)
            if s.tokenId >= 0 {
                sink.append(s.tokenId, cp, cp + n)
            } else if s.start < s.end {
                encodeText(text, s.start, s.end, cp: cp)
            }
            cp += n
            pos = s.end
        }
    }

    private mutating func encodeText(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, cp start: Int32) {
        if model.settings.doBasicTokenize {
            basicTokenize(p, from, to, cp: start)
        } else {
            whitespaceTokenize(p, from, to, cp: start)
        }
    }

    private func codePoints(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int32 {
        var n: Int32 = 0
        for i in from..<to where p[i] & 0xC0 != 0x80 { n += 1 }
        return n
    }

    // MARK: BasicTokenizer

    private mutating func basicTokenize(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, cp start: Int32) {
        let props = UnicodeProperties.shared
        let splitCJK = model.settings.tokenizeChineseChars
        var i = from, cp = start
        var flags: CharFlags = [], ascii = true
        word.removeAll()
        while i < to {
            let b0 = p[i]
            var c = UInt32(b0), len = 1
            if b0 >= 0x80 { (c, len) = decodeScalar(p, i) }
            let f = props.flags(c)
            i += len
            defer { cp += 1 }
            if f.contains(.drop) { continue }
            if !f.isDisjoint(with: [.whitespace, .pythonSpace]) {
                if !word.isEmpty { finishWord(flags, ascii); flags = []; ascii = true }
                continue
            }
            if splitCJK, f.contains(.cjk) {
                if !word.isEmpty { finishWord(flags, ascii) }
                word.append(c, cp, cp + 1)
                finishWord(f, false)
                flags = []; ascii = true
                continue
            }
            word.append(c, cp, cp + 1)
            flags.formUnion(f)
            if len > 1 { ascii = false }
        }
        if !word.isEmpty { finishWord(flags, ascii) }
    }

    /// One whitespace-separated word of cleaned text, from NFC to WordPiece. Empties `word`.
    private mutating func finishWord(_ flags: CharFlags, _ ascii: Bool) {
        let props = UnicodeProperties.shared
        defer { word.removeAll() }
        if !ascii, !flags.isDisjoint(with: .affectsNFC) {
            props.composeNFC(word, scratch: &scratch, into: &spare)
            swap(&word, &spare)
        }
        if model.isNeverSplit(word) { return emitPiece(0, word.count) }
        let s = model.settings
        if s.doLowerCase {
            if ascii {
                for k in 0..<word.count where word.scalars[k] &- 65 < 26 { word.scalars[k] += 32 }
            } else {
                props.lowercase(word, into: &spare)
                swap(&word, &spare)
            }
        }
        if s.stripsAccents, !ascii {
            props.decompose(word, into: &spare)
            word.removeAll()
            for k in 0..<spare.count where !props.flags(spare.scalars[k]).contains(.nonspacingMark) {
                word.append(from: spare, at: k)
            }
        }
        if word.isEmpty { return }
        if model.isNeverSplit(word) { return emitPiece(0, word.count) }
        var run = 0
        for k in 0..<word.count where props.flags(word.scalars[k]).contains(.punctuation) {
            if run < k { emitPiece(run, k) }
            emitPiece(k, k + 1)
            run = k + 1
        }
        if run < word.count { emitPiece(run, word.count) }
    }

    /// One word after BasicTokenizer: the config's never_split maps it straight to an id, anything
    /// else goes through WordPiece.
    private mutating func emitPiece(_ from: Int, _ to: Int) {
        if let id = model.neverSplitId(word, from, to) {
            sink.append(id, word.starts[from], word.ends[to - 1])
            return
        }
        piece.removeAll()
        piece.append(word, from, to)
        model.wordPiece.encode(piece, into: &sink)
    }

    // MARK: do_basic_tokenize = false

    /// `WordpieceTokenizer.tokenize(text)` alone: `str.split()`, then WordPiece; nothing is
    /// cleaned, lowercased or split at punctuation.
    private mutating func whitespaceTokenize(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, cp start: Int32) {
        var i = from, cp = start
        word.removeAll()
        while i < to {
            let (c, len) = decodeScalar(p, i)
            i += len
            if UnicodeProperties.shared.flags(c).contains(.pythonSpace) {
                if !word.isEmpty { wordPieceWord() }
            } else {
                word.append(c, cp, cp + 1)
            }
            cp += 1
        }
        if !word.isEmpty { wordPieceWord() }
    }

    private mutating func wordPieceWord() {
        piece.removeAll()
        piece.append(word, 0, word.count)
        model.wordPiece.encode(piece, into: &sink)
        word.removeAll()
    }
}
