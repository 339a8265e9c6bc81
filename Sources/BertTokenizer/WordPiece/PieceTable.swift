/// A read-only hash map from UTF-8 byte strings to token ids, looked up straight from a byte
/// buffer so that WordPiece's many trial lookups never build a String.
struct PieceTable: Sendable {
    private let keyBytes: [UInt8]
    /// Per entry: where its key starts in `keyBytes`, its length, its id.
    private let keyStart: [Int32]
    private let keyLength: [Int32]
    private let ids: [Int32]
    /// Open addressing, linear probing: entry index, or -1.
    private let slots: [Int32]
    private let mask: Int
    /// The longest key in bytes: WordPiece never tries a longer candidate.
    let maxKeyLength: Int

    init(_ entries: [(key: ArraySlice<UInt8>, id: Int)]) {
        var keyBytes = [UInt8](), keyStart = [Int32](), keyLength = [Int32](), ids = [Int32]()
        for (key, id) in entries {
            keyStart.append(Int32(keyBytes.count))
            keyBytes.append(contentsOf: key)
            keyLength.append(Int32(key.count))
            ids.append(Int32(id))
        }
        var size = 16
        while size < ids.count * 2 { size <<= 1 }
        var slots = [Int32](repeating: -1, count: size)
        keyBytes.withUnsafeBufferPointer { kb in
            for e in 0..<ids.count {
                let h = Self.hash(kb.baseAddress! + Int(keyStart[e]), Int(keyLength[e]))
                var s = Int(truncatingIfNeeded: h) & (size - 1)
                while slots[s] >= 0 { s = (s + 1) & (size - 1) }
                slots[s] = Int32(e)
            }
        }
        self.keyBytes = keyBytes
        self.keyStart = keyStart
        self.keyLength = keyLength
        self.ids = ids
        self.slots = slots
        self.mask = size - 1
        self.maxKeyLength = Int(keyLength.max() ?? 0)
    }

    /// The id of the `count` bytes at `p`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
        var s = Int(truncatingIfNeeded: Self.hash(p, count)) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyBytes.withUnsafeBufferPointer { kb in
                while true {
                    let e = Int(slots[s])
                    if e < 0 { return -1 }
                    if Int(keyLength[e]) == count, memcmpEqual(kb.baseAddress! + Int(keyStart[e]), p, count) {
                        return ids[e]
                    }
                    s = (s + 1) & mask
                }
            }
        }
    }

    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0, shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
