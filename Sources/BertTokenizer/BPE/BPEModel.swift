import Foundation

// Mirrors huggingface/tokenizers `models/bpe/model.rs` (merge_word) and `word.rs` (merge_all):
// a word starts as one symbol per code point (with continuing_subword_prefix on all but the first,
// end_of_word_suffix on the last); unknown ones fall back to <0xXX> bytes or the unk token (fused
// when fuse_unk); then the pair of lowest merge rank, leftmost on ties, merges until none is left.

/// A byte-pair-encoding model: vocabulary, ranked merges, and the options tokenizers has.
final class BPEModel: Sendable {
    let tokens: [String]
    private let ids: [String: Int32]
    /// (left id, right id) → (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    let unkId: Int32?
    private let fuseUnk: Bool, byteFallback: Bool, ignoreMerges: Bool
    private let prefix: String?, suffix: String?
    var continuingSubwordPrefix: String? { prefix }
    /// Byte-fallback ids of <0x00>...<0xFF> (-1 where the vocabulary lacks one).
    private let byteIds: [Int32]

    convenience init(_ n: JSONNode) throws {
        try n.expectKeys(["dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
                          "byte_fallback", "ignore_merges", "vocab", "merges"])
        if n.has("dropout") {
            throw n.error("dropout", "BPE dropout samples merges at random; bertkit encodes deterministically and needs dropout null")
        }
        let vocab = try readVocab(n.child("vocab"))
        var pairs: [(String, String, path: String)] = []
        for (i, m) in try n.array("merges").enumerated() {
            let path = "merges.\(i)"
            if let s = m.stringValue {
                // The old form, "left right".
                // On bytes: a space followed by a combining mark is one Character.
                let parts = s.utf8.split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                guard parts.count == 2 else { throw n.error(path, "expected \"left right\", found \"\(s)\"") }
                pairs.append((String(parts[0]), String(parts[1]), path))
            } else if let a = m.arrayValue, a.count == 2, let l = a[0].stringValue, let r = a[1].stringValue {
                pairs.append((l, r, path))
            } else {
                throw n.error(path, "expected [left, right] or \"left right\", found \(m.kind)")
            }
        }
        try self.init(vocab: vocab, merges: pairs, unkToken: try n.optionalString("unk_token"),
                      prefix: try n.optionalString("continuing_subword_prefix"), suffix: try n.optionalString("end_of_word_suffix"),
                      fuseUnk: try n.bool("fuse_unk", default: false), byteFallback: try n.bool("byte_fallback", default: false),
                      ignoreMerges: try n.bool("ignore_merges", default: false), error: { n.error($0, $1) })
    }

    /// `error(field, reason)` names where a bad merge or token came from.
    init(vocab: [String], merges pairs: [(String, String, path: String)], unkToken: String?, prefix: String?, suffix: String?,
         fuseUnk: Bool, byteFallback: Bool, ignoreMerges: Bool, error: (String, String) -> TokenizerPipelineError) throws {
        tokens = vocab
        var ids = [String: Int32](minimumCapacity: vocab.count)
        for (i, t) in vocab.enumerated() { ids[t] = Int32(i) }
        self.ids = ids
        var merges = [UInt64: (rank: Int32, id: Int32)](minimumCapacity: pairs.count)
        let prefixBytes = prefix.map { Array($0.utf8) } ?? []
        for (rank, (l, r, path)) in pairs.enumerated() {
            guard let a = ids[l] else { throw error(path, "the merge's left part \"\(l)\" is not in the vocabulary") }
            guard let b = ids[r] else { throw error(path, "the merge's right part \"\(r)\" is not in the vocabulary") }
            // Bytes, not Characters: a prefix followed by a combining mark is one Character.
            let merged = l + (prefix != nil && r.utf8.starts(with: prefixBytes) ? String(decoding: r.utf8.dropFirst(prefixBytes.count), as: UTF8.self) : r)
            guard let c = ids[merged] else { throw error(path, "the merge's result \"\(merged)\" is not in the vocabulary") }
            let key = UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))
            merges[key] = (Int32(rank), c)  // a repeated merge keeps its last rank, as tokenizers' map does
        }
        self.merges = merges
        if let u = unkToken {
            guard let id = ids[u] else { throw error("unk_token", "\"\(u)\" is not in the vocabulary") }
            unkId = id
        } else {
            unkId = nil
        }
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.prefix = prefix
        self.suffix = suffix
        byteIds = (0..<256).map { ids[String(format: "<0x%02X>", $0)] ?? -1 }
    }

    func id(of token: String) -> Int32? { ids[token] }

    func tokenize(_ chars: [UInt32], into out: inout [PieceToken]) {
        guard !chars.isEmpty else { return }
        if ignoreMerges, let id = ids[String(unicodeScalars: chars)] {
            out.append(PieceToken(id: id, start: 0, end: chars.count))
            return
        }
        // Symbols: id and code-point span.
        var sym: [(id: Int32, start: Int, end: Int)] = []
        sym.reserveCapacity(chars.count)
        var unk: (id: Int32, start: Int, end: Int)?
        for (i, c) in chars.enumerated() {
            var s = String(Unicode.Scalar(c)!)
            if i > 0, let p = prefix { s = p + s }
            if i == chars.count - 1, let x = suffix { s += x }
            if let id = ids[s] {
                if let u = unk { sym.append(u); unk = nil }
                sym.append((id, i, i + 1))
                continue
            }
            if byteFallback {
                let bytes = Array(s.utf8)
                if bytes.allSatisfy({ byteIds[Int($0)] >= 0 }) {
                    for b in bytes { sym.append((byteIds[Int(b)], i, i + 1)) }
                    continue
                }
            }
            guard let unkId else { continue }
            if let u = unk, fuseUnk {
                unk = (u.id, u.start, i + 1)
            } else {
                if let u = unk { sym.append(u) }
                unk = (unkId, i, i + 1)
            }
        }
        if let u = unk { sym.append(u) }
        while sym.count > 1 {
            var best = -1, bestRank = Int32.max, bestId: Int32 = 0
            for k in 0..<sym.count - 1 {
                if let m = merges[UInt64(UInt32(sym[k].id)) << 32 | UInt64(UInt32(sym[k + 1].id))], m.rank < bestRank {
                    best = k
                    bestRank = m.rank
                    bestId = m.id
                }
            }
            if best < 0 { break }
            sym[best] = (bestId, sym[best].start, sym[best + 1].end)
            sym.remove(at: best + 1)
        }
        for s in sym { out.append(PieceToken(id: s.id, start: s.start, end: s.end)) }
    }
}
