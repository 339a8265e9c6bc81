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

    mutating func removeAll() {
        ids.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}

final class WordPiece: Sendable {
    static let maxInputCharsPerWord = 100
    static let prefix = "##"

    /// Every vocabulary token, for a word's first piece.
    private let whole: PieceTable
    /// Tokens that start with "##", keyed without it, for every later piece.
    private let suffix: PieceTable
    let unkId: Int32

    /// The tables as pointers, for encoders (valid while this object lives).
    var tables: Tables { Tables(whole: whole.view, suffix: suffix.view, unkId: unkId) }

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
}

extension WordPiece {
    struct Tables {
        let whole: PieceTable.View
        let suffix: PieceTable.View
        let unkId: Int32

        /// Appends the pieces of one word (`n` bytes of UTF-8, `chars` code points, no whitespace) to
        /// `sink`, each with its byte range in the word as its span; the caller maps those to
        /// code points. Returns how many it appended.
        @inline(__always)
        func encode(_ p: UnsafePointer<UInt8>, _ n: Int, chars: Int, into sink: inout TokenSink) -> Int {
            guard n > 0 else { return 0 }
            if chars > WordPiece.maxInputCharsPerWord {
                sink.append(unkId, 0, Int32(n))
                return 1
            }
            let mark = sink.count
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
                if id < 0 {
                    sink.ids.removeLast(sink.count - mark)
                    sink.starts.removeLast(sink.starts.count - mark)
                    sink.ends.removeLast(sink.ends.count - mark)
                    sink.append(unkId, 0, Int32(n))
                    return 1
                }
                sink.append(id, Int32(start), Int32(end))
                start = end
            }
            return sink.count - mark
        }
    }
}
