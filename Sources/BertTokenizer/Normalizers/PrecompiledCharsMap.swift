import Foundation

// The SentencePiece normalization table (`precompiled_charsmap`), as huggingface/tokenizers
// `normalizers/precompiled.rs` and the spm_precompiled crate read it. Layout of the blob:
//   1. u32 little-endian: the trie's size in bytes, a multiple of 4
//   2. the trie: a darts-clone double array of u32 units (little-endian)
//   3. the normalized strings: UTF-8, each ended by a NUL; a trie leaf's value is a byte offset here
// A unit: bit 8 = has a leaf, bits 0-7 (and 31) = label, value = bits 0-30,
// offset = (unit >> 10) << ((unit & (1 << 9)) >> 6). Every offset is checked when the table is read.

/// A SentencePiece charsmap: the longest-known-prefix replacement table of Precompiled.
struct PrecompiledCharsMap: Sendable {
    private let units: [UInt32]
    private let normalized: [UInt8]
    /// The replacement of each ASCII code point as a cluster of its own.
    private var asciiTable: [[UInt32]?] = []

    init(base64: String, node: JSONNode) throws {
        guard let data = Data(base64Encoded: base64) else {
            throw node.error("precompiled_charsmap", "expected base64, found characters outside base64")
        }
        try self.init(Array(data), node: node)
    }

    init(_ b: [UInt8], node: JSONNode) throws {
        let field = "precompiled_charsmap"
        guard b.count >= 4 else { throw node.error(field, "the charsmap has \(b.count) bytes; its header alone is 4") }
        let size = Int(UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
        guard size % 4 == 0, size <= b.count - 4, size >= 4 else {
            throw node.error(field, "the trie size \(size) is not a multiple of 4 bytes within the \(b.count - 4) bytes after the header")
        }
        units = stride(from: 4, to: 4 + size, by: 4).map {
            UInt32(b[$0]) | UInt32(b[$0 + 1]) << 8 | UInt32(b[$0 + 2]) << 16 | UInt32(b[$0 + 3]) << 24
        }
        normalized = Array(b[(4 + size)...])
        try validate(node)
        asciiTable = (0..<128).map { transform([UInt8($0)]) }
    }

    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> Int { Int(u & ((1 << 31) - 1)) }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// Walks every node reachable from the root: each unit index and each leaf's string must lie
    /// inside the blob, and each string must be UTF-8, so lookups never leave it.
    private func validate(_ node: JSONNode) throws {
        let field = "precompiled_charsmap"
        var stack = [Self.offset(units[0])], seen = Set<Int>()
        guard stack[0] < units.count else {
            throw node.error(field, "the trie root's offset points to unit \(stack[0]), outside the \(units.count) units")
        }
        while let pos = stack.popLast() {
            guard seen.insert(pos).inserted else { continue }
            for c in 1...255 {
                let child = pos ^ c
                guard child < units.count else {
                    throw node.error(field, "trie unit \(pos)'s child \(c) is at unit \(child), outside the \(units.count) units")
                }
                let u = units[child]
                guard Self.label(u) == UInt32(c) else { continue }
                let next = child ^ Self.offset(u)
                guard next < units.count else {
                    throw node.error(field, "trie unit \(child)'s offset points to unit \(next), outside the \(units.count) units")
                }
                if Self.hasLeaf(u) {
                    let v = Self.value(units[next])
                    guard v < normalized.count else {
                        throw node.error(field, "trie unit \(next) points to byte \(v) of the normalized strings, which have \(normalized.count)")
                    }
                    let end = normalized[v...].firstIndex(of: 0) ?? normalized.count
                    guard String(validating: normalized[v..<end], as: UTF8.self) != nil else {
                        throw node.error(field, "the normalized string at byte \(v) is not UTF-8")
                    }
                }
                stack.append(next)
            }
        }
    }

    /// spm_precompiled's `transform`: the replacement of the shortest prefix of `chunk` the trie
    /// knows (its first common-prefix result), or nil.
    func transform(_ chunk: some Collection<UInt8>) -> [UInt32]? {
        var pos = Self.offset(units[0])
        for c in chunk {
            if c == 0 { break }
            pos ^= Int(c)
            let u = units[pos]
            if Self.label(u) != UInt32(c) { return nil }
            pos ^= Self.offset(u)
            if Self.hasLeaf(u) {
                let v = Self.value(units[pos])
                let end = normalized[v...].firstIndex(of: 0) ?? normalized.count
                return String(decoding: normalized[v..<end], as: UTF8.self).scalarValues
            }
        }
        return nil
    }

    /// precompiled.rs `normalize`: each grapheme cluster of under 6 bytes as a whole, else (or when
    /// the whole is unknown) each code point. An ASCII cluster is looked up in `asciiTable`.
    func normalize(_ t: inout NormalizedText) {
        var d: [(UInt32, Int)] = []
        d.reserveCapacity(t.count)
        var modified = false
        forEachClusterRun(t.chars) { i in
            let c = t.chars[i]
            if let norm = asciiTable[Int(c)] {
                modified = true
                appendAligned(&d, old: 1, new: norm)
            } else {
                d.append((c, 0))
            }
        } other: { range in
            for g in String(unicodeScalars: t.chars[range]) {
                let bytes = g.utf8
                if bytes.count < 6, let norm = transform(bytes) {
                    modified = true
                    appendAligned(&d, old: g.unicodeScalars.count, new: norm)
                    continue
                }
                for s in g.unicodeScalars {
                    if let norm = transform(UTF8.encode(s)!) {
                        modified = true
                        appendAligned(&d, old: 1, new: norm)
                    } else {
                        d.append((s.value, 0))
                    }
                }
            }
        }
        if modified { t.transform(d) }
    }
}
