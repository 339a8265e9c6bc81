// Mirrors huggingface/tokenizers `tokenizer/added_vocabulary.rs`: added tokens are cut out of the
// text before the model sees it, leftmost then longest; those with normalized: false are matched in
// the original text, the others in the normalized text (against their own normalized form).
// single_word: only where no word character (`\w`) touches either end; lstrip / rstrip: the token
// takes the whitespace (`\s`) on that side with it.

/// An entry of `added_tokens`.
struct PipelineAddedToken: Sendable {
    var id: Int32
    var content: String
    var singleWord: Bool
    var lstrip: Bool
    var rstrip: Bool
    var normalized: Bool
    var special: Bool

    init(id: Int32, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false, normalized: Bool, special: Bool) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(_ n: JSONNode) throws {
        try n.expectKeys(["id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"])
        let id = try n.int("id")
        guard id >= 0, id <= Int(Int32.max) else { throw n.error("id", "expected a token id, found \(id)") }
        let special = try n.bool("special", default: false)
        self.init(id: Int32(id), content: try n.string("content"), singleWord: try n.bool("single_word", default: false),
                  lstrip: try n.bool("lstrip", default: false), rstrip: try n.bool("rstrip", default: false),
                  normalized: try n.bool("normalized", default: !special), special: special)
    }
}

/// The tokens matched in one kind of text (original or normalized), longest first at each position.
struct AddedTokenMatcher: Sendable {
    private let patterns: [(chars: [UInt32], token: PipelineAddedToken)]
    /// The first code points of the patterns: ASCII ones as bits, the rest in a set.
    private let firstASCII: (UInt64, UInt64)
    private let first: Set<UInt32>

    init(_ list: [(pattern: [UInt32], token: PipelineAddedToken)]) {
        patterns = list.filter { !$0.pattern.isEmpty }.map { ($0.pattern, $0.token) }.sorted { $0.chars.count > $1.chars.count }
        var bits: (UInt64, UInt64) = (0, 0)
        for c in patterns.map({ $0.chars[0] }) where c < 0x80 {
            if c < 64 { bits.0 |= 1 << c } else { bits.1 |= 1 << (c - 64) }
        }
        firstASCII = bits
        first = Set(patterns.map { $0.chars[0] }.filter { $0 >= 0x80 })
    }

    @inline(__always)
    private func mayStart(_ c: UInt32) -> Bool {
        if c < 64 { return firstASCII.0 >> c & 1 != 0 }
        if c < 0x80 { return firstASCII.1 >> (c - 64) & 1 != 0 }
        return !first.isEmpty && first.contains(c)
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// `find_matches` + `split_with_indices`: the pieces of `text`, each an added token's id or nil.
    func split(_ text: NormalizedText) -> [(NormalizedText, Int32?)] {
        guard !patterns.isEmpty, !text.isEmpty else { return [(text, nil)] }
        let c = text.chars, n = c.count
        var out: [(Range<Int>, Int32?)] = [], startOffset = 0, i = 0
        while i < n {
            guard mayStart(c[i]), let (len, t) = longestMatch(c, at: i) else {
                i += 1
                continue
            }
            var start = i, stop = i + len
            if t.singleWord {
                let startSpace = start == 0 || !isWordChar(c[start - 1])
                let stopSpace = stop == n || !isWordChar(c[stop])
                if !startSpace || !stopSpace {
                    i = stop  // the matcher moves past a rejected match, as Aho-Corasick's iterator does
                    continue
                }
            }
            if t.lstrip {
                var s = start
                while s > 0 && isWhiteSpace(c[s - 1]) { s -= 1 }
                start = max(s, startOffset)
            }
            if t.rstrip { while stop < n && isWhiteSpace(c[stop]) { stop += 1 } }
            if startOffset < start { out.append((startOffset..<start, nil)) }
            out.append((start..<stop, t.id))
            startOffset = stop
            i = stop
        }
        if startOffset != n { out.append((startOffset..<n, nil)) }
        return out.map { (text.slice($0.0), $0.1) }
    }

    private func longestMatch(_ c: [UInt32], at i: Int) -> (Int, PipelineAddedToken)? {
        for p in patterns where p.chars.count <= c.count - i && p.chars[0] == c[i] {
            if c[i..<i + p.chars.count].elementsEqual(p.chars) { return (p.chars.count, p.token) }
        }
        return nil
    }
}

/// Rust regex's `\w`: alphabetic, marks, decimal digits, connector punctuation, join controls.
func isWordChar(_ c: UInt32) -> Bool {
    if c < 0x80 { return isLetter(c) || isNumber(c) || c == 0x5F }
    if c == 0x200C || c == 0x200D { return true }
    guard let p = Unicode.Scalar(c)?.properties else { return false }
    switch p.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return p.isAlphabetic
    }
}
