// Mirrors huggingface/tokenizers `tokenizer/normalizer.rs` (NormalizedString): the normalized text
// and, for every normalized code point, the UTF-8 byte range of the original code point it came
// from. The Rust type keeps one alignment per normalized byte; every byte of a code point shares
// it, so one per code point says the same.

/// A piece of the input as the pipeline changes it, with its alignment to the original text.
struct NormalizedText {
    var chars: [UInt32]
    /// Original UTF-8 byte range of each normalized code point (one array: one allocation a piece).
    var aligns: [Range<Int>]
    /// The original byte range this piece covers (`offsets_original`).
    var originalStart: Int
    var originalEnd: Int

    init(_ text: String) {
        var chars: [UInt32] = [], aligns: [Range<Int>] = []
        chars.reserveCapacity(text.utf8.count)
        aligns.reserveCapacity(text.utf8.count)
        var b = 0
        for s in text.unicodeScalars {
            let n = UTF8.width(s)
            chars.append(s.value)
            aligns.append(b..<b + n)
            b += n
        }
        self.chars = chars
        self.aligns = aligns
        originalStart = 0
        originalEnd = b
    }

    private init(chars: [UInt32], aligns: [Range<Int>], originalStart: Int, originalEnd: Int) {
        self.chars = chars
        self.aligns = aligns
        self.originalStart = originalStart
        self.originalEnd = originalEnd
    }

    var isEmpty: Bool { chars.isEmpty }
    var count: Int { chars.count }
    var string: String { String(unicodeScalars: chars) }

    /// The original byte range of normalized code points `range` (`convert_offsets`, Normalized).
    func originalRange(_ range: Range<Int>) -> Range<Int> {
        if range.isEmpty { return originalStart + range.lowerBound..<originalStart + range.lowerBound }
        return aligns[range.lowerBound].lowerBound..<aligns[range.upperBound - 1].upperBound
    }

    /// `slice(Range::Normalized(range))`.
    func slice(_ range: Range<Int>) -> NormalizedText {
        let o = range.isEmpty ? (chars.isEmpty ? originalStart..<originalEnd : originalRange(range)) : originalRange(range)
        // The whole piece shares its buffers.
        if range == chars.indices {
            var t = self
            (t.originalStart, t.originalEnd) = (o.lowerBound, o.upperBound)
            return t
        }
        return NormalizedText(chars: Array(chars[range]), aligns: Array(aligns[range]), originalStart: o.lowerBound,
                              originalEnd: o.upperBound)
    }

    /// `transform_range`: replaces code points `range` by `dest`, where each new code point's change
    /// is 1 (inserted: it takes the alignment of the code point before), 0 (replaces the next one)
    /// or -n (replaces the next one and removes n more); `initialOffset` code points are removed first.
    mutating func transform(_ range: Range<Int>, _ dest: [(UInt32, Int)], initialOffset: Int = 0) {
        var newChars: [UInt32] = [], newAligns: [Range<Int>] = []
        newChars.reserveCapacity(dest.count)
        newAligns.reserveCapacity(dest.count)
        var idx = range.lowerBound + initialOffset
        for (c, change) in dest {
            newAligns.append(change > 0 ? (idx < 1 ? 0..<0 : aligns[idx - 1]) : aligns[idx])
            if change <= 0 { idx += 1 }
            if change < 0 { idx += -change }
            newChars.append(c)
        }
        if range == chars.indices {
            chars = newChars
            aligns = newAligns
            return
        }
        chars.replaceSubrange(range, with: newChars)
        aligns.replaceSubrange(range, with: newAligns)
    }

    mutating func transform(_ dest: [(UInt32, Int)], initialOffset: Int = 0) {
        transform(0..<chars.count, dest, initialOffset: initialOffset)
    }

    /// `map`: one code point for one.
    mutating func map(_ f: (UInt32) -> UInt32) {
        for i in chars.indices { chars[i] = f(chars[i]) }
    }

    /// `filter`: drops the code points `keep` refuses.
    mutating func filter(_ keep: (UInt32) -> Bool) {
        guard !chars.allSatisfy(keep) else { return }
        var t: [(UInt32, Int)] = [], removed = 0, removedStart = 0, last: UInt32?
        for c in chars {
            if keep(c) {
                if let l = last { t.append((l, -removed)) } else { removedStart = removed }
                last = c
                removed = 0
            } else {
                removed += 1
            }
        }
        if let l = last { t.append((l, -removed)) }
        transform(t, initialOffset: last == nil ? chars.count : removedStart)
    }

    /// `prepend`: `s` before the first code point, aligned with it; nothing if empty.
    mutating func prepend(_ s: [UInt32]) {
        // transform(0..<1, ...) with the new code points first: all take the first one's alignment.
        guard !chars.isEmpty else { return }
        chars.insert(contentsOf: s, at: 0)
        aligns.insert(contentsOf: repeatElement(aligns[0], count: s.count), at: 0)
    }

    /// `append`: `s` after the last code point, aligned with it.
    mutating func append(_ s: [UInt32]) {
        guard let last = chars.last else {
            transform(s.map { ($0, 1) })
            return
        }
        transform(chars.count - 1..<chars.count, [(last, 0)] + s.map { ($0, 1) })
    }

    /// `replace`: every match of `pattern` becomes `content`, aligned with the match's last code point.
    mutating func replace(_ pattern: SplitPattern, with content: [UInt32]) {
        // One code point for one keeps every alignment: a map.
        if case .literal(let p) = pattern, p.count == 1, content.count == 1 {
            let (from, to) = (p[0], content[0])
            for i in chars.indices where chars[i] == from { chars[i] = to }
            return
        }
        let matches = pattern.matches(chars)
        guard matches.contains(where: \.isMatch) else { return }
        var c: [UInt32] = [], a: [Range<Int>] = []
        c.reserveCapacity(chars.count)
        a.reserveCapacity(chars.count)
        var last = 0
        for m in matches where m.isMatch {
            c += chars[last..<m.range.lowerBound]
            a += aligns[last..<m.range.lowerBound]
            let end = m.range.upperBound
            let align = end < 1 ? 0..<0 : aligns[end - 1]
            for x in content {
                c.append(x)
                a.append(align)
            }
            last = end
        }
        c += chars[last...]
        a += aligns[last...]
        chars = c
        aligns = a
    }

    /// `lrstrip`: drops leading and/or trailing whitespace (Rust `char::is_whitespace`).
    mutating func strip(left: Bool, right: Bool) {
        let lead = left ? (chars.firstIndex { !isWhiteSpace($0) } ?? chars.count) : 0
        var trail = 0
        if right { while trail < chars.count - lead, isWhiteSpace(chars[chars.count - 1 - trail]) { trail += 1 } }
        guard lead > 0 || trail > 0 else { return }
        transform(chars[lead..<chars.count - trail].map { ($0, 0) }, initialOffset: lead)
    }

    /// `split`: the pieces around the matches of `pattern`, as `behavior` says; empty pieces dropped.
    func split(_ pattern: SplitPattern, _ behavior: SplitBehavior) -> [NormalizedText] {
        var pieces: [NormalizedText] = []
        split(pattern, behavior, into: &pieces)
        return pieces
    }

    /// `split`, appending the pieces to `pieces`.
    func split(_ pattern: SplitPattern, _ behavior: SplitBehavior, into pieces: inout [NormalizedText]) {
        let matches = pattern.matches(chars)
        var out: [(Range<Int>, remove: Bool)] = []
        switch behavior {
        case .isolated:
            out = matches.map { ($0.range, false) }
        case .removed:
            out = matches.map { ($0.range, $0.isMatch) }
        case .contiguous:
            var previous = false
            for m in matches {
                if m.isMatch == previous, let l = out.last {
                    out[out.count - 1].0 = l.0.lowerBound..<m.range.upperBound
                } else {
                    out.append((m.range, false))
                }
                previous = m.isMatch
            }
        case .mergedWithPrevious:
            var previous = false
            for m in matches {
                if m.isMatch && !previous, let l = out.last {
                    out[out.count - 1].0 = l.0.lowerBound..<m.range.upperBound
                } else {
                    out.append((m.range, false))
                }
                previous = m.isMatch
            }
        case .mergedWithNext:
            var previous = false
            for m in matches.reversed() {
                if m.isMatch && !previous, let l = out.last {
                    out[out.count - 1].0 = m.range.lowerBound..<l.0.upperBound
                } else {
                    out.append((m.range, false))
                }
                previous = m.isMatch
            }
            out.reverse()
        }
        for (range, remove) in out where !remove {
            let piece = slice(range)
            if !piece.isEmpty { pieces.append(piece) }
        }
    }

    /// BertPreTokenizer's two splits in one pass: whitespace removed, then each punctuation code
    /// point isolated.
    func splitBert(into pieces: inout [NormalizedText]) {
        var start = 0
        for (i, c) in chars.enumerated() {
            let space = isWhiteSpace(c)
            guard space || isPunctuation(c) else { continue }
            if start < i { pieces.append(slice(start..<i)) }
            if !space { pieces.append(slice(i..<i + 1)) }
            start = i + 1
        }
        if start < chars.count { pieces.append(slice(start..<chars.count)) }
    }
}

/// Rust's `char::is_whitespace`: the Unicode White_Space property.
@inline(__always)
func isWhiteSpace(_ c: UInt32) -> Bool {
    switch c {
    case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
    default: false
    }
}

extension String {
    /// The code points as a String (U+FFFD for a value that is not one), encoded straight to UTF-8.
    init(unicodeScalars: some Collection<UInt32>) {
        self.init(unsafeUninitializedCapacity: unicodeScalars.count * 4) { buffer in
            var n = 0
            for v in unicodeScalars {
                let c = Unicode.Scalar(v).map(\.value) ?? 0xFFFD
                if c < 0x80 {
                    buffer[n] = UInt8(c)
                    n += 1
                } else if c < 0x800 {
                    buffer[n] = UInt8(0xC0 | c >> 6)
                    buffer[n + 1] = UInt8(0x80 | c & 0x3F)
                    n += 2
                } else if c < 0x10000 {
                    buffer[n] = UInt8(0xE0 | c >> 12)
                    buffer[n + 1] = UInt8(0x80 | c >> 6 & 0x3F)
                    buffer[n + 2] = UInt8(0x80 | c & 0x3F)
                    n += 3
                } else {
                    buffer[n] = UInt8(0xF0 | c >> 18)
                    buffer[n + 1] = UInt8(0x80 | c >> 12 & 0x3F)
                    buffer[n + 2] = UInt8(0x80 | c >> 6 & 0x3F)
                    buffer[n + 3] = UInt8(0x80 | c & 0x3F)
                    n += 4
                }
            }
            return n
        }
    }
}
