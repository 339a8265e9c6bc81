/// A read-only hash map from UTF-8 byte strings to token ids, looked up straight from a byte
/// buffer so that WordPiece's many trial lookups never build a String. Built once, never mutated,
/// so it is shared freely between threads.
final class PieceTable: @unchecked Sendable {
    fileprivate struct Entry {
        var start: Int32
        var length: Int32
        var id: Int32
    }

    private let keyBytes: UnsafeMutableBufferPointer<UInt8>
    private let entries: UnsafeMutableBufferPointer<Entry>
    /// Open addressing, linear probing, at most half full: entry index, or -1.
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let mask: Int
    /// The longest key in bytes: WordPiece never tries a longer candidate.
    let maxKeyLength: Int

    init(_ keys: [(key: ArraySlice<UInt8>, id: Int)]) {
        let total = keys.reduce(0) { $0 + $1.key.count }
        keyBytes = .allocate(capacity: max(1, total))
        entries = .allocate(capacity: max(1, keys.count))
        var size = 16
        while size < keys.count * 2 { size <<= 1 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1)
        mask = size - 1
        var offset = 0, longest = 0
        for (e, (key, id)) in keys.enumerated() {
            _ = UnsafeMutableBufferPointer(rebasing: keyBytes[offset..<(offset + key.count)]).initialize(from: key)
            entries[e] = Entry(start: Int32(offset), length: Int32(key.count), id: Int32(id))
            var s = Int(truncatingIfNeeded: Self.hash(keyBytes.baseAddress! + offset, key.count)) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
            offset += key.count
            longest = max(longest, key.count)
        }
        maxKeyLength = longest
    }

    deinit {
        keyBytes.deallocate()
        entries.deallocate()
        slots.deallocate()
    }

    /// The table as plain pointers: hot loops on several threads use it with no reference
    /// counting (the table outlives every encoder, which holds the model that holds it).
    var view: View { View(keys: keyBytes.baseAddress!, entries: entries.baseAddress!, slots: slots.baseAddress!, mask: mask, maxKeyLength: maxKeyLength) }

    @inline(__always)
    fileprivate static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
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

    struct View {
        fileprivate let keys: UnsafePointer<UInt8>
        fileprivate let entries: UnsafePointer<Entry>
        fileprivate let slots: UnsafePointer<Int32>
        fileprivate let mask: Int
        let maxKeyLength: Int

        /// The id of the `count` bytes at `p`, or -1.
        @inline(__always)
        func lookup(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
            var s = Int(truncatingIfNeeded: PieceTable.hash(p, count)) & mask
            while true {
                let e = Int(slots[s])
                if e < 0 { return -1 }
                let entry = entries[e]
                if Int(entry.length) == count, equal(keys + Int(entry.start), p, count) { return entry.id }
                s = (s + 1) & mask
            }
        }

        @inline(__always)
        private func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
            var i = 0
            while i + 8 <= n {
                if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                    return false
                }
                i += 8
            }
            while i < n {
                if a[i] != b[i] { return false }
                i += 1
            }
            return true
        }
    }
}
