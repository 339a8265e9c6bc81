// Mirrors transformers' PythonBackend.tokenize (tokenization_python.py): before BertTokenizer sees
// the text, every special or added token ("[CLS]", "[MASK]", ...) written in it is cut out whole
// (Trie.split: leftmost, then longest match), and a token marked lstrip / rstrip takes the
// whitespace (str.isspace) on that side with it.

/// A cut of the input: text for BertTokenizer, or one added token.
struct Segment {
    var start: Int
    var end: Int
    /// The added token's id, or -1 for text.
    var tokenId: Int32
}

struct AddedTokenSplitter: Sendable {
    private struct Entry: Sendable {
        var bytes: [UInt8]
        var id: Int32
        var lstrip: Bool
        var rstrip: Bool
    }

    /// Longest first, so the first match at a position is the longest.
    private let entries: [Entry]
    private let startsToken: [Bool]

    var isEmpty: Bool { entries.isEmpty }

    init(_ tokens: [(content: String, id: Int, lstrip: Bool, rstrip: Bool)]) {
        var seen = Set<String>()
        entries = tokens.filter { !$0.content.isEmpty && seen.insert($0.content).inserted }
            .map { Entry(bytes: Array($0.content.utf8), id: Int32($0.id), lstrip: $0.lstrip, rstrip: $0.rstrip) }
            .sorted { $0.bytes.count > $1.bytes.count }
        var first = [Bool](repeating: false, count: 256)
        for e in entries { first[Int(e.bytes[0])] = true }
        startsToken = first
    }

    /// Splits `text` (valid UTF-8) at every added token; text segments may come out empty.
    func split(_ text: UnsafeBufferPointer<UInt8>, into segments: inout [Segment]) {
        segments.removeAll(keepingCapacity: true)
        let n = text.count
        var textStart = 0, i = 0
        var stripNext = false
        while i < n {
            guard startsToken[Int(text[i])], let e = match(text, at: i) else {
                i += 1
                continue
            }
            var left = Segment(start: textStart, end: i, tokenId: -1)
            if stripNext { left.start = skipSpace(text, left.start, left.end) }
            if entries[e].lstrip { left.end = trailingSpaceStart(text, left.start, left.end) }
            segments.append(left)
            i += entries[e].bytes.count
            segments.append(Segment(start: i - entries[e].bytes.count, end: i, tokenId: entries[e].id))
            stripNext = entries[e].rstrip
            textStart = i
        }
        var last = Segment(start: textStart, end: n, tokenId: -1)
        if stripNext { last.start = skipSpace(text, last.start, last.end) }
        segments.append(last)
    }

    private func match(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        entryLoop: for (k, e) in entries.enumerated() where e.bytes.count <= text.count - i {
            for j in 0..<e.bytes.count where text[i + j] != e.bytes[j] { continue entryLoop }
            return k
        }
        return nil
    }

    /// After the leading `str.isspace` code points of `[from, to)`.
    private func skipSpace(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var i = from
        while i < to {
            let (c, len) = decodeScalar(p, i)
            if !UnicodeProperties.shared.flags(c).contains(.pythonSpace) { break }
            i += len
        }
        return i
    }

    /// Where the trailing `str.isspace` code points of `[from, to)` begin.
    private func trailingSpaceStart(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var i = from, end = from
        while i < to {
            let (c, len) = decodeScalar(p, i)
            i += len
            if !UnicodeProperties.shared.flags(c).contains(.pythonSpace) { end = i }
        }
        return end
    }
}

/// The code point starting at byte `i` of valid UTF-8, and its length in bytes.
@inline(__always)
func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
    if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3) }
    return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
}
