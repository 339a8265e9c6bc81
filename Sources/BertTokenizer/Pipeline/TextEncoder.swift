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
// whole text. A word of ASCII bytes (most of English) is tokenized straight from the input bytes:
// NFC, NFD and accent stripping cannot change it.

/// The working buffers of encode calls. Not shared between threads: each takes its own.
struct TextEncoder {
    let model: TokenizerModel
    // What the hot loop reads, as plain values and pointers: no reference counting on objects
    // that every thread shares (`model` keeps them alive).
    private let flagTable: FlagTable
    private let wordPiece: WordPiece.Tables
    private let neverSplitFirst: ByteSet
    private let configNeverSplitFirst: ByteSet
    private let addedTokens: AddedTokenSplitter
    private let doBasicTokenize: Bool, splitCJK: Bool, doLowerCase: Bool, stripsAccents: Bool
    /// For assembling encodings: token names by id, [CLS] and [SEP].
    let names: [String]
    let clsId: Int32, sepId: Int32
    private var word = CharBuffer()
    private var spare = CharBuffer()
    private var scratch = CharBuffer()
    private var piece = PieceBuffer()
    private var lowered: [UInt8] = []
    private var segments: [Segment] = []
    var sink = TokenSink()

    init(model: TokenizerModel) {
        self.model = model
        flagTable = UnicodeProperties.shared.flagTable
        wordPiece = model.wordPiece.tables
        neverSplitFirst = model.basicNeverSplitFirst
        configNeverSplitFirst = model.configNeverSplitFirst
        addedTokens = model.addedTokens
        doBasicTokenize = model.doBasicTokenize
        splitCJK = model.tokenizeChineseChars
        doLowerCase = model.doLowerCase
        stripsAccents = model.stripsAccents
        names = model.vocabulary.tokens
        clsId = model.clsId
        sepId = model.sepId
    }

    /// Appends the tokens of `text` (no [CLS]/[SEP]) to `sink`.
    mutating func encode(_ text: UnsafeBufferPointer<UInt8>) {
        if addedTokens.isEmpty {
            encodeText(text, 0, text.count, cp: 0)
            return
        }
        addedTokens.split(text, into: &segments)
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
        if doBasicTokenize {
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

    /// Splits cleaned text into words. A word is held either as `run` (a stretch of ASCII input
    /// bytes, not copied) or, once it meets anything else, in `word`.
    private mutating func basicTokenize(_ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, cp start: Int32) {
        let flagTable = self.flagTable
        let splitCJK = self.splitCJK
        let p = text.baseAddress!
        let separator: CharFlags = [.drop, .whitespace, .pythonSpace]
        var i = from, cp = start
        var run = -1, runCp: Int32 = 0
        var flags: CharFlags = [], ascii = true
        word.removeAll()

        func moveRun(_ s: inout Self) {
            for k in run..<i { s.word.append(UInt32(p[k]), runCp + Int32(k - run), runCp + Int32(k - run) + 1) }
            run = -1
        }
        func finish(_ s: inout Self) {
            if run >= 0 {
                s.finishASCIIWord(p + run, i - run, cp: runCp)
                run = -1
            } else if !s.word.isEmpty {
                s.finishWord(flags, ascii)
                flags = []
                ascii = true
            }
        }

        while i < to {
            let b0 = p[i]
            if b0 < 0x80 {
                let f = flagTable.flags(byte: b0)
                if f.isDisjoint(with: separator) {
                    if !word.isEmpty {
                        word.append(UInt32(b0), cp, cp + 1)
                    } else if run < 0 {
                        run = i
                        runCp = cp
                    }
                } else if f.contains(.drop) {
                    if run >= 0 { moveRun(&self) }
                } else {
                    finish(&self)
                }
                i += 1
                cp += 1
                continue
            }
            let (c, len) = decodeScalar(text, i)
            let f = flagTable.flags(c)
            if f.contains(.drop) {
                if run >= 0 { moveRun(&self) }
            } else if !f.isDisjoint(with: [.whitespace, .pythonSpace]) {
                finish(&self)
            } else if splitCJK, f.contains(.cjk) {
                finish(&self)
                word.append(c, cp, cp + 1)
                finishWord(f, false)
            } else {
                if run >= 0 { moveRun(&self) }
                word.append(c, cp, cp + 1)
                flags.formUnion(f)
                ascii = false
            }
            i += len
            cp += 1
        }
        finish(&self)
    }

    /// A word of `n` contiguous ASCII bytes at `p`, starting at code point `cp`.
    private mutating func finishASCIIWord(_ p: UnsafePointer<UInt8>, _ n: Int, cp: Int32) {
        if neverSplitFirst.contains(p[0]), model.isNeverSplit(p, n) { return emitASCIIPiece(p, n, cp: cp) }
        guard doLowerCase else { return splitASCII(p, n, cp: cp) }
        var buf = [UInt8]()
        swap(&buf, &lowered)
        defer { swap(&buf, &lowered) }
        buf.removeAll(keepingCapacity: true)
        for k in 0..<n {
            let b = p[k]
            buf.append(b &- 65 < 26 ? b + 32 : b)
        }
        buf.withUnsafeBufferPointer { l in
            let q = l.baseAddress!
            if neverSplitFirst.contains(q[0]), model.isNeverSplit(q, n) { return emitASCIIPiece(q, n, cp: cp) }
            splitASCII(q, n, cp: cp)
        }
    }

    /// `_run_split_on_punc` on ASCII bytes.
    private mutating func splitASCII(_ p: UnsafePointer<UInt8>, _ n: Int, cp: Int32) {
        let flagTable = self.flagTable
        var run = 0
        for k in 0..<n where flagTable.flags(byte: p[k]).contains(.punctuation) {
            if run < k { emitASCIIPiece(p + run, k - run, cp: cp + Int32(run)) }
            emitASCIIPiece(p + k, 1, cp: cp + Int32(k))
            run = k + 1
        }
        if run < n { emitASCIIPiece(p + run, n - run, cp: cp + Int32(run)) }
    }

    @inline(__always)
    private mutating func emitASCIIPiece(_ p: UnsafePointer<UInt8>, _ n: Int, cp: Int32) {
        if configNeverSplitFirst.contains(p[0]), let id = model.neverSplitId(p, n) { return sink.append(id, cp, cp + Int32(n)) }
        let k = wordPiece.encode(p, n, chars: n, into: &sink)
        for j in (sink.count - k)..<sink.count {
            sink.starts[j] += cp
            sink.ends[j] += cp
        }
    }

    /// One whitespace-separated word of cleaned text, from NFC to WordPiece. Empties `word`.
    private mutating func finishWord(_ flags: CharFlags, _ ascii: Bool) {
        let props = UnicodeProperties.shared
        defer { word.removeAll() }
        if !ascii, !flags.isDisjoint(with: .affectsNFC) {
            props.composeNFC(word, scratch: &scratch, into: &spare)
            swap(&word, &spare)
        }
        if neverSplitFirst.contains(leadByte(word.scalars[0])), model.isNeverSplit(word) { return emitPiece(0, word.count) }
        if doLowerCase {
            if ascii {
                for k in 0..<word.count where word.scalars[k] &- 65 < 26 { word.scalars[k] += 32 }
            } else {
                props.lowercase(word, into: &spare)
                swap(&word, &spare)
            }
        }
        if stripsAccents, !ascii {
            props.decompose(word, into: &spare)
            word.removeAll()
            for k in 0..<spare.count where !props.flags(spare.scalars[k]).contains(.nonspacingMark) {
                word.append(from: spare, at: k)
            }
        }
        if word.isEmpty { return }
        if neverSplitFirst.contains(leadByte(word.scalars[0])), model.isNeverSplit(word) { return emitPiece(0, word.count) }
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
        if configNeverSplitFirst.contains(leadByte(word.scalars[from])), let id = model.neverSplitId(word, from, to) {
            sink.append(id, word.starts[from], word.ends[to - 1])
            return
        }
        piece.removeAll()
        piece.append(word, from, to)
        wordPiecePiece()
    }

    /// WordPiece on `piece`, its byte spans mapped back to code points.
    private mutating func wordPiecePiece() {
        let bytes = piece.bytes
        let wordPiece = self.wordPiece
        let k = bytes.withUnsafeBufferPointer { b in
            wordPiece.encode(b.baseAddress!, b.count, chars: piece.charCount, into: &sink)
        }
        for j in (sink.count - k)..<sink.count {
            let s = Int(sink.starts[j]), e = Int(sink.ends[j])
            sink.starts[j] = piece.starts[s]
            sink.ends[j] = piece.ends[e - 1]
        }
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
        wordPiecePiece()
        word.removeAll()
    }
}
