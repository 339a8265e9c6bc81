// Mirrors transformers' WordpieceTokenizer (models/bert/tokenization_bert_legacy.py, formerly
// tokenization_bert.py): greedy longest-match-first over code points, "##" before every piece but
// the first, and one [UNK] for a word longer than 100 code points or with any unmatched rest.

/// Token ids and the original code-point span of each, as the tokenizer produces them.
struct TokenSink {
    var ids: [Int32] = []
    var starts: [Int32] = []
    var ends: [Int32] = []

    var count: Int { ids.count }

    @inline(__always)
    mutating func append(_ id: Int32, _ start: Int32, _ end: Int32) {
        ids.append(id)
        starts.append(start)
        ends.append(end)
    }

    mutating func removeLast(_ n: Int) {
        ids.removeLast(n)
        starts.removeLast(n)
        ends.removeLast(n)
    }
}

/// One word's UTF-8 bytes, each with the original span of the code point it encodes.
struct PieceBuffer {
    var bytes: [UInt8] = []
    var starts: [Int32] = []
    var ends: [Int32] = []
    var charCount = 0

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        charCount = 0
    }

    /// Appends code points `[from, to)` of `chars`, UTF-8 encoded.
    mutating func append(_ chars: CharBuffer, _ from: Int, _ to: Int) {
        for i in from..<to {
            let c = chars.scalars[i], a = chars.starts[i], b = chars.ends[i]
            charCount += 1
            if c < 0x80 {
                bytes.append(UInt8(c)); starts.append(a); ends.append(b)
                continue
            }
            for u in UTF8.encode(Unicode.Scalar(c)!)! {
                bytes.append(u); starts.append(a); ends.append(b)
            }
        }
    }
}

struct WordPiece: Sendable {
    static let maxInputCharsPerWord = 100
    static let prefix = "##"

    /// Every vocabulary token, for a word's first piece.
    let whole: PieceTable
    /// Tokens that start with "##", keyed without it, for every later piece.
    let suffix: PieceTable
    let unkId: Int32

    init(vocabulary: [String], unkId: Int) {
        // Bytes, not Characters: "##" + a combining mark is one Character ("#\u{93F}").
        let prefix = Array(Self.prefix.utf8)
        let keys = vocabulary.map { ArraySlice($0.utf8) }
        whole = PieceTable(keys.enumerated().map { ($0.element, $0.offset) })
        suffix = PieceTable(keys.enumerated().compactMap { id, k in
            k.starts(with: prefix) ? (k.dropFirst(prefix.count), id) : nil
        })
        self.unkId = Int32(unkId)
    }

    /// Appends the pieces of one word (no whitespace inside) to `sink`.
    func encode(_ word: PieceBuffer, into sink: inout TokenSink) {
        let n = word.bytes.count
        guard n > 0 else { return }
        if word.charCount > Self.maxInputCharsPerWord {
            sink.append(unkId, word.starts[0], word.ends[n - 1])
            return
        }
        let mark = sink.count
        let matched: Bool = word.bytes.withUnsafeBufferPointer { buf in
            let p = buf.baseAddress!
            var start = 0
            while start < n {
                let table = start == 0 ? whole : suffix
                var end = min(n, start + table.maxKeyLength)
                var id: Int32 = -1
                while end > start {
                    // Only whole code points: never end inside a UTF-8 sequence.
                    if end == n || p[end] & 0xC0 != 0x80 {
                        id = table.lookup(p + start, end - start)
                        if id >= 0 { break }
                    }
                    end -= 1
                }
                if id < 0 { return false }
                sink.append(id, word.starts[start], word.ends[end - 1])
                start = end
            }
            return true
        }
        if !matched {
            sink.removeLast(sink.count - mark)
            sink.append(unkId, word.starts[0], word.ends[n - 1])
        }
    }
}
