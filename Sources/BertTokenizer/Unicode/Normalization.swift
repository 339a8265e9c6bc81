// Python's str.lower() and unicodedata.normalize("NFD" / "NFC"), as BasicTokenizer calls them, on
// a CharBuffer: every output code point keeps the span of original code points it came from.
// Algorithms: Unicode Standard Annex #15 (canonical decomposition, canonical ordering, canonical
// composition, Hangul arithmetic) and CPython's handle_capital_sigma (unicodeobject.c).

private let hangulS: UInt32 = 0xAC00, hangulL: UInt32 = 0x1100, hangulV: UInt32 = 0x1161, hangulT: UInt32 = 0x11A7
private let hangulLCount: UInt32 = 19, hangulVCount: UInt32 = 21, hangulTCount: UInt32 = 28
private let hangulNCount = hangulVCount * hangulTCount, hangulSCount = hangulLCount * hangulNCount

extension UnicodeProperties {
    /// `str.lower()`: full lowercase mappings; U+03A3 becomes final sigma (U+03C2) when a cased
    /// letter precedes it and none follows, skipping case-ignorable code points both ways.
    func lowercase(_ input: CharBuffer, into out: inout CharBuffer) {
        out.removeAll()
        let s = input.scalars
        for i in 0..<s.count {
            let c = s[i]
            if c == 0x03A3 {
                out.append(isFinalSigma(s, i) ? 0x03C2 : 0x03C3, input.starts[i], input.ends[i])
            } else if c < 128 {
                out.append(c &+ (c &- 65 < 26 ? 32 : 0), input.starts[i], input.ends[i])
            } else if flags(c).contains(.hasLowercase), let m = lowercased(c) {
                for l in m { out.append(l, input.starts[i], input.ends[i]) }
                // A composite that lowercases to one code point keeps its parts (É → é).
                if m.count == 1, input.parts[i] >= 0 { out.copyParts(from: input, at: i, to: out.count - 1) }
            } else {
                out.append(from: input, at: i)
            }
        }
    }

    private func isFinalSigma(_ s: [UInt32], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0, flags(s[j]).contains(.caseIgnorable) { j -= 1 }
        guard j >= 0, flags(s[j]).contains(.cased) else { return false }
        var k = i + 1
        while k < s.count, flags(s[k]).contains(.caseIgnorable) { k += 1 }
        return k == s.count || !flags(s[k]).contains(.cased)
    }

    /// NFD: full canonical decomposition, then canonical ordering of each run of combining marks.
    func decompose(_ input: CharBuffer, into out: inout CharBuffer) {
        out.removeAll()
        for i in 0..<input.count {
            let c = input.scalars[i], a = input.starts[i], b = input.ends[i]
            if c &- hangulS < hangulSCount {
                let si = c - hangulS
                var jamo = [hangulL + si / hangulNCount, hangulV + (si % hangulNCount) / hangulTCount]
                if si % hangulTCount != 0 { jamo.append(hangulT + si % hangulTCount) }
                for (k, x) in jamo.enumerated() {
                    let (pa, pb) = input.partSpan(i, k, of: jamo.count) ?? (a, b)
                    out.append(x, pa, pb)
                }
            } else if c >= 0xC0, flags(c).contains(.hasDecomposition), let d = decomposed(c) {
                for (k, x) in d.enumerated() {
                    let (pa, pb) = input.partSpan(i, k, of: d.count) ?? (a, b)
                    out.append(x, pa, pb)
                }
            } else {
                out.append(c, a, b)
            }
        }
        reorder(&out)
    }

    /// Stable sort of every run of non-zero combining classes by class (insertion sort: runs are short).
    private func reorder(_ buf: inout CharBuffer) {
        var i = 1
        while i < buf.count {
            let k = combiningClass(buf.scalars[i])
            if k != 0 {
                var j = i
                while j > 0 {
                    let p = combiningClass(buf.scalars[j - 1])
                    if p == 0 || p <= k { break }
                    buf.swapAt(j - 1, j)
                    j -= 1
                }
            }
            i += 1
        }
    }

    /// NFC: NFD, then canonical composition. A composite's span covers all its parts, and it
    /// keeps each part's span for a later NFD.
    func composeNFC(_ input: CharBuffer, scratch: inout CharBuffer, into out: inout CharBuffer) {
        decompose(input, into: &scratch)
        out.removeAll()
        var starter = -1
        var lastClass: Int = -1  // class of the last code point kept after the starter; -1: none
        for i in 0..<scratch.count {
            let c = scratch.scalars[i], k = Int(combiningClass(c))
            if starter >= 0, lastClass < k || lastClass == -1 {
                if let comp = composePair(out.scalars[starter], c) {
                    out.scalars[starter] = comp
                    out.addPart(to: starter, scratch.starts[i], scratch.ends[i])
                    continue
                }
            }
            if k == 0 {
                starter = out.count
                lastClass = -1
            } else {
                lastClass = k
            }
            out.append(from: scratch, at: i)
        }
    }

    private func composePair(_ a: UInt32, _ b: UInt32) -> UInt32? {
        if a &- hangulL < hangulLCount, b &- hangulV < hangulVCount {
            return hangulS + ((a - hangulL) * hangulVCount + (b - hangulV)) * hangulTCount
        }
        if a &- hangulS < hangulSCount, (a - hangulS) % hangulTCount == 0, b > hangulT, b - hangulT < hangulTCount {
            return a + (b - hangulT)
        }
        return composed(a, b)
    }
}
