// Mirrors huggingface/tokenizers `tokenizer/pattern.rs` (Pattern::find_matches) and the five
// `SplitDelimiterBehavior`s of `normalizer.rs`.

/// How `NormalizedText.split` treats what a pattern matched.
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// A compiled regular expression; Swift's `Regex` is not `Sendable`, but matching never mutates it.
/// Patterns inside `NativeRegex`'s subset match natively; Swift Regex checks every pattern's syntax
/// and matches the rest.
final class CompiledRegex: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    let native: NativeRegex?
    init(_ pattern: String) throws {
        regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        native = NativeRegex(pattern)
    }

    /// The matches of Swift Regex, as code-point ranges.
    func swiftMatches(_ chars: [UInt32]) -> [Range<Int>] {
        let s = String(unicodeScalars: chars)
        let view = s.unicodeScalars
        var found: [Range<Int>] = []
        var last = view.startIndex, lastOffset = 0
        for m in s.matches(of: regex) {
            let a = lastOffset + view.distance(from: last, to: m.range.lowerBound)
            let b = a + view.distance(from: m.range.lowerBound, to: m.range.upperBound)
            found.append(a..<b)
            last = m.range.upperBound
            lastOffset = b
        }
        return found
    }

    func matches(_ chars: [UInt32]) -> [Range<Int>] { native?.matches(chars) ?? swiftMatches(chars) }
}

/// What a normalizer or pre-tokenizer looks for.
indirect enum SplitPattern: Sendable {
    /// A literal string (tokenizers escapes it into a regex: non-overlapping, leftmost first).
    case literal([UInt32])
    case regex(CompiledRegex)
    /// Every code point for which the test holds is one match of its own.
    case each(@Sendable (UInt32) -> Bool)
    /// The GPT-2 pre-tokenization regex of the ByteLevel pre-tokenizer.
    case byteLevel
    /// The same cuts, with matches and the text between them swapped (Split's `invert`).
    case inverted(SplitPattern)

    /// The matches and the text between them, in order, covering `chars`.
    func matches(_ chars: [UInt32]) -> [(range: Range<Int>, isMatch: Bool)] {
        switch self {
        case .literal(let p):
            if p.isEmpty { return [(0..<chars.count, false)] }
            return covering(chars.count, literalMatches(chars, p))
        case .regex(let r):
            if chars.isEmpty { return [(0..<0, false)] }
            return covering(chars.count, r.matches(chars))
        case .each(let test):
            if chars.isEmpty { return [(0..<0, false)] }
            var out: [(range: Range<Int>, isMatch: Bool)] = [], last = 0
            for (i, c) in chars.enumerated() where test(c) {
                if last < i { out.append((last..<i, false)) }
                out.append((i..<i + 1, true))
                last = i + 1
            }
            if last < chars.count { out.append((last..<chars.count, false)) }
            return out
        case .inverted(let p):
            return p.matches(chars).map { ($0.range, !$0.isMatch) }
        case .byteLevel:
            if chars.isEmpty { return [(0..<0, false)] }
            var found: [Range<Int>] = [], i = 0
            while i < chars.count {
                let e = gpt2Match(chars, i)
                found.append(i..<e)
                i = e
            }
            return covering(chars.count, found)
        }
    }

    private func literalMatches(_ chars: [UInt32], _ p: [UInt32]) -> [Range<Int>] {
        var out: [Range<Int>] = [], i = 0
        while i + p.count <= chars.count {
            if chars[i] == p[0] && chars[i..<i + p.count].elementsEqual(p) {
                out.append(i..<i + p.count)
                i += p.count
            } else {
                i += 1
            }
        }
        return out
    }

    private func covering(_ n: Int, _ found: [Range<Int>]) -> [(range: Range<Int>, isMatch: Bool)] {
        var out: [(range: Range<Int>, isMatch: Bool)] = [], prev = 0
        for r in found {
            if prev != r.lowerBound { out.append((prev..<r.lowerBound, false)) }
            out.append((r, true))
            prev = r.upperBound
        }
        if prev != n { out.append((prev..<n, false)) }
        return out
    }
}

// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, the alternatives
// tried in order at `i`; every position starts some match, so the matches tile the text.
private func gpt2Match(_ c: [UInt32], _ i: Int) -> Int {
    let n = c.count
    if c[i] == 0x27, i + 1 < n {  // '
        switch c[i + 1] {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76 where i + 2 < n && c[i + 2] == 0x65: return i + 3  // re ve
        case 0x6C where i + 2 < n && c[i + 2] == 0x6C: return i + 3  // ll
        default: break
        }
    }
    let j = c[i] == 0x20 && i + 1 < n ? i + 1 : i
    for start in j == i ? [i] : [j, i] {
        let k = c[start]
        if isLetter(k) { return run(c, start) { isLetter($0) } }
        if isNumber(k) { return run(c, start) { isNumber($0) } }
        if !isWhiteSpace(k) { return run(c, start) { !isWhiteSpace($0) && !isLetter($0) && !isNumber($0) } }
    }
    // Whitespace: the run, less its last code point when a non-space follows (the lookahead).
    let end = run(c, i) { isWhiteSpace($0) }
    if end < n && end - i >= 2 { return end - 1 }
    return end == n ? n : i + 1
}

private func run(_ c: [UInt32], _ from: Int, _ test: (UInt32) -> Bool) -> Int {
    var e = from + 1
    while e < c.count && test(c[e]) { e += 1 }
    return e
}

/// `\p{L}`.
@inline(__always)
func isLetter(_ c: UInt32) -> Bool {
    if c < 0x80 { return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    switch Unicode.Scalar(c)?.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
}

/// `\p{N}`.
@inline(__always)
func isNumber(_ c: UInt32) -> Bool {
    if c < 0x80 { return c >= 0x30 && c <= 0x39 }
    switch Unicode.Scalar(c)?.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
}
