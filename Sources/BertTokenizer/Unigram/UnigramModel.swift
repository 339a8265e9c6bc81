// Mirrors huggingface/tokenizers `models/unigram/model.rs` (`encode_optimized`, after
// SentencePiece's unigram_model.cc): Viterbi over code-point positions; at each start, every
// vocabulary piece that is a prefix of the rest (shortest first) may end a best path; where no
// piece covers the next code point alone, the unknown piece does, at min_score - 10. Consecutive
// unknown pieces fuse into one; a fused unknown falls back to <0xXX> bytes when byte_fallback is on.

/// A Unigram (SentencePiece) model: pieces with log-probability scores.
final class UnigramModel: Sendable {
    let pieces: [String]
    private let scores: [Double]
    private let ids: [String: Int32]
    let unkId: Int32?
    private let byteFallback: Bool
    private let minScore: Double
    /// A trie over code points: (node, code point) → child node; piece id per node (-1 if none).
    private let children: TrieEdges
    private let nodePiece: [Int32]
    private let byteIds: [Int32]

    convenience init(_ n: JSONNode) throws {
        try n.expectKeys(["unk_id", "vocab", "byte_fallback"])
        var pieces: [(String, Double)] = []
        for (i, v) in try n.array("vocab").enumerated() {
            guard let a = v.arrayValue, a.count == 2, let p = a[0].stringValue else {
                throw n.error("vocab.\(i)", "expected [piece, score], found \(v.kind)")
            }
            guard let s = a[1].doubleValue, s.isFinite else {
                throw n.error("vocab.\(i).1", "the score of \"\(p)\" must be a finite number, found \(a[1].kind)")
            }
            pieces.append((p, s))
        }
        let unk: Int? = n.has("unk_id") ? try n.int("unk_id") : nil
        try self.init(pieces: pieces, unkId: unk, byteFallback: try n.bool("byte_fallback", default: false)) { n.error($0, $1) }
    }

    init(pieces list: [(String, Double)], unkId: Int?, byteFallback: Bool, error: (String, String) -> TokenizerPipelineError) throws {
        guard !list.isEmpty else { throw error("vocab", "the vocabulary is empty") }
        if let u = unkId, u < 0 || u >= list.count {
            throw error("unk_id", "\(u) is outside the vocabulary's \(list.count) pieces")
        }
        pieces = list.map(\.0)
        scores = list.map(\.1)
        var ids = [String: Int32](minimumCapacity: list.count)
        for (i, p) in pieces.enumerated() { ids[p] = Int32(i) }  // a repeated piece: the last id, as tokenizers
        self.ids = ids
        self.unkId = unkId.map(Int32.init)
        self.byteFallback = byteFallback
        minScore = scores.min()!
        var children = [UInt64: Int32](), nodePiece: [Int32] = [-1]
        for (i, p) in pieces.enumerated() {
            var node: Int32 = 0
            for c in p.unicodeScalars {
                let key = UInt64(UInt32(node)) << 32 | UInt64(c.value)
                if let next = children[key] {
                    node = next
                } else {
                    node = Int32(nodePiece.count)
                    nodePiece.append(-1)
                    children[key] = node
                }
            }
            if node != 0 { nodePiece[Int(node)] = ids[p]! }
        }
        self.children = TrieEdges(children)
        self.nodePiece = nodePiece
        byteIds = (0..<256).map { ids[String(format: "<0x%02X>", $0)] ?? -1 }
    }

    func tokenize(_ chars: [UInt32], into out: inout [PieceToken]) throws(UnigramError) {
        let n = chars.count
        guard n > 0 else { return }
        // The lattice lives on the stack for the usual word; Viterbi as in encode_optimized.
        var path: [(id: Int32, start: Int, end: Int)] = []
        withUnsafeTemporaryAllocation(of: (score: Double, from: Int32, id: Int32).self, capacity: n + 1) { best in
            viterbi(chars, best)
            // Back from the end; unknown pieces next to each other become one.
            var end = n
            while end > 0 {
                let start = Int(best[end].from)
                let id = best[end].id
                if id == unkId ?? -2, let last = path.last, last.id == id, last.start == end {
                    path[path.count - 1].start = start
                } else {
                    path.append((id, start, end))
                }
                end = start
            }
        }
        for p in path.reversed() {
            // A fused unknown run is a string tokenizers looks up again: a piece if it is one.
            if p.id == unkId ?? -2 {
                let s = String(unicodeScalars: chars[p.start..<p.end])
                if let id = ids[s] {
                    out.append(PieceToken(id: id, start: p.start, end: p.end))
                    continue
                }
                if byteFallback {
                    let bytes = Array(s.utf8)
                    if bytes.allSatisfy({ byteIds[Int($0)] >= 0 }) {
                        for b in bytes { out.append(PieceToken(id: byteIds[Int(b)], start: p.start, end: p.end)) }
                        continue
                    }
                }
            }
            guard p.id >= 0 else {
                throw UnigramError.noUnknownPiece(String(unicodeScalars: chars[p.start..<p.end]))
            }
            out.append(PieceToken(id: p.id, start: p.start, end: p.end))
        }
    }

    /// `best[end]`: the best path's score to `end`, where its last piece starts and that piece.
    private func viterbi(_ chars: [UInt32], _ best: UnsafeMutableBufferPointer<(score: Double, from: Int32, id: Int32)>) {
        let n = chars.count
        let unkScore = minScore - 10
        for i in 0...n { best[i] = (0, -1, 0) }
        chars.withUnsafeBufferPointer { c in
            for start in 0..<n {
                let base = best[start].score
                var node: Int32 = 0, single = false, end = start
                while end < n, let next = children.child(node, c[end]) {
                    node = next
                    end += 1
                    let id = nodePiece[Int(node)]
                    guard id >= 0 else { continue }
                    let candidate = scores[Int(id)] + base
                    if best[end].from < 0 || candidate > best[end].score { best[end] = (candidate, Int32(start), id) }
                    if end == start + 1 { single = true }
                }
                if !single {
                    let candidate = unkScore + base
                    if best[start + 1].from < 0 || candidate > best[start + 1].score {
                        best[start + 1] = (candidate, Int32(start), unkId ?? -1)
                    }
                }
            }
        }
    }
}

/// The trie's edges in one open-addressing table: (node, code point) keys hashed by a multiply,
/// with none of Dictionary's per-lookup hasher.
struct TrieEdges: Sendable {
    private let keys: [UInt64]
    private let values: [Int32]
    private let shift: UInt64

    init(_ edges: [UInt64: Int32]) {
        var bits: UInt64 = 4
        while (1 << bits) < edges.count * 2 { bits += 1 }
        let size = 1 << Int(bits)
        var keys = [UInt64](repeating: .max, count: size), values = [Int32](repeating: -1, count: size)
        for (k, v) in edges {
            var i = Self.slot(k, 64 - bits)
            while keys[i] != .max { i = (i + 1) & (size - 1) }
            keys[i] = k
            values[i] = v
        }
        self.keys = keys
        self.values = values
        shift = 64 - bits
    }

    @inline(__always) private static func slot(_ k: UInt64, _ shift: UInt64) -> Int { Int((k &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    func child(_ node: Int32, _ c: UInt32) -> Int32? {
        let k = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(c)
        let mask = keys.count - 1
        var i = Self.slot(k, shift)
        while true {
            let e = keys[i]
            if e == k { return values[i] }
            if e == .max { return nil }
            i = (i + 1) & mask
        }
    }
}

/// A text the model cannot cover: no piece for it and no unk_id.
enum UnigramError: Error {
    case noUnknownPiece(String)
}
