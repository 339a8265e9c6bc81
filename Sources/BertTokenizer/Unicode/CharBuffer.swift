/// Code points of normalized text, each with the span of original code points `[start, end)` it
/// came from, so every token can point back into the text the user gave.
///
/// NFC can merge several original code points into one (e + U+0301 → é) that a later NFD splits
/// again: such a composite also keeps the span of each part, so that after accent stripping "e"
/// points at the original "e" alone, as in the Rust tokenizer's offsets (which never compose).
struct CharBuffer {
    var scalars: [UInt32] = []
    var starts: [Int32] = []
    var ends: [Int32] = []
    /// Per code point: -1, or where its parts begin in `partSpans` (count, then start/end pairs).
    var parts: [Int32] = []
    var partSpans: [Int32] = []

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    init() {
        scalars.reserveCapacity(128)
        starts.reserveCapacity(128)
        ends.reserveCapacity(128)
        parts.reserveCapacity(128)
    }

    @inline(__always)
    mutating func append(_ scalar: UInt32, _ start: Int32, _ end: Int32) {
        scalars.append(scalar)
        starts.append(start)
        ends.append(end)
        parts.append(-1)
    }

    /// Appends code point `i` of `other`, with its parts.
    @inline(__always)
    mutating func append(from other: CharBuffer, at i: Int) {
        append(other.scalars[i], other.starts[i], other.ends[i])
        if other.parts[i] >= 0 { copyParts(from: other, at: i, to: count - 1) }
    }

    /// Gives code point `j` of this buffer the parts of code point `i` of `other`.
    mutating func copyParts(from other: CharBuffer, at i: Int, to j: Int) {
        let p = Int(other.parts[i]), n = Int(other.partSpans[p])
        parts[j] = Int32(partSpans.count)
        partSpans.append(contentsOf: other.partSpans[p...(p + 2 * n)])
    }

    /// Records that code point `j` now also covers `[start, end)`: its parts list grows by one.
    /// Only the last code point with parts may grow (composition works on one starter at a time).
    mutating func addPart(to j: Int, _ start: Int32, _ end: Int32) {
        if parts[j] < 0 {
            parts[j] = Int32(partSpans.count)
            partSpans += [1, starts[j], ends[j]]
        }
        partSpans[Int(parts[j])] += 1
        partSpans += [start, end]
        starts[j] = min(starts[j], start)
        ends[j] = max(ends[j], end)
    }

    /// The spans of the parts of code point `i`, if it has exactly `n`.
    func partSpan(_ i: Int, _ k: Int, of n: Int) -> (Int32, Int32)? {
        guard parts[i] >= 0 else { return nil }
        let p = Int(parts[i])
        guard partSpans[p] == n else { return nil }
        return (partSpans[p + 1 + 2 * k], partSpans[p + 2 + 2 * k])
    }

    mutating func removeAll() {
        scalars.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        parts.removeAll(keepingCapacity: true)
        partSpans.removeAll(keepingCapacity: true)
    }

    mutating func swapAt(_ i: Int, _ j: Int) {
        scalars.swapAt(i, j)
        starts.swapAt(i, j)
        ends.swapAt(i, j)
        parts.swapAt(i, j)
    }

    /// The code points `[from, to)` as a Swift string (for never_split lookups and messages).
    func string(_ from: Int = 0, _ to: Int? = nil) -> String {
        var s = String.UnicodeScalarView()
        for i in from..<(to ?? count) { s.append(Unicode.Scalar(scalars[i])!) }
        return String(s)
    }
}
