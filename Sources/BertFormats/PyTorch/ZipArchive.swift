import BertTensors
import Foundation

/// A zip archive read in place from a memory-mapped file, as `torch.save` writes one: every entry
/// STORED (no compression), no encryption, one disk. Layout (APPNOTE 6.3.x), all little-endian:
///
///  1. local file header  `PK\3\4`: version, flags, method, time, date, crc32, csize, usize,
///     name length n, extra length e (30 bytes), then the name and the extra field, then the data
///     (torch pads the extra field so that data starts on a 64-byte boundary);
///  2. central directory, one `PK\1\2` header (46 bytes + name + extra + comment) per entry,
///     holding the authoritative crc32, sizes and local header offset;
///  3. zip64 end-of-central-directory record `PK\6\6` and its locator `PK\6\7` (only when a size,
///     an offset or the entry count does not fit in 32/16 bits);
///  4. end-of-central-directory record `PK\5\6` (22 bytes + a comment that ends the file).
///
/// Every offset and size is checked against the bytes that exist before it is used; entries may
/// not overlap each other or the central directory. Entries' CRCs are checked when read.
struct ZipArchive {
    struct Entry {
        let name: String
        /// Where the entry's bytes start in the file.
        let dataOffset: Int
        let size: Int
        let crc32: UInt32
    }

    let path: String
    let storage: ByteStorage
    let entries: [Entry]
    private let index: [String: Int]

    /// Refuses more entries than this: a state dict of a large model has a few thousand.
    static let maxEntries = 1 << 20

    init(path: String, storage: ByteStorage) throws {
        self.path = path
        self.storage = storage
        let bytes = Bytes(buffer: storage.buffer)
        guard bytes.count >= 4, bytes.u32(0) == 0x0403_4B50 else { throw ZipError.notAZip(path: path) }
        let end = try Self.findEnd(bytes, path: path)
        var list: [Entry] = []
        var index: [String: Int] = [:]
        var spans: [(start: Int, end: Int, name: String)] = []
        var p = end.directoryOffset
        for _ in 0..<end.entryCount {
            guard let fixed = bytes.range(p, 46), bytes.u32(fixed) == 0x0201_4B50 else {
                throw ZipError.corrupt(path: path, what: "central directory header \(list.count) at byte \(p) is missing or cut short")
            }
            let flags = bytes.u16(p + 8), method = bytes.u16(p + 10), crc = bytes.u32(p + 16)
            var csize = UInt64(bytes.u32(p + 20)), usize = UInt64(bytes.u32(p + 24))
            let nameLength = Int(bytes.u16(p + 28)), extraLength = Int(bytes.u16(p + 30)), commentLength = Int(bytes.u16(p + 32))
            var disk = UInt32(bytes.u16(p + 34)), local = UInt64(bytes.u32(p + 42))
            guard let nameAt = bytes.range(p + 46, nameLength), let extraAt = bytes.range(nameAt + nameLength, extraLength),
                  bytes.range(extraAt + extraLength, commentLength) != nil,
                  extraAt + extraLength + commentLength <= end.directoryOffset + end.directorySize
            else { throw ZipError.corrupt(path: path, what: "central directory header \(list.count) runs past the directory") }
            guard let name = String(validating: bytes.slice(nameAt, nameLength), as: UTF8.self), !name.isEmpty else {
                throw ZipError.corrupt(path: path, what: "entry \(list.count) has an empty or non-UTF-8 name")
            }
            // Zip64 extended information: each field present only when its 32-bit slot is saturated.
            if let z = Self.extraField(0x0001, in: bytes, at: extraAt, length: extraLength) {
                var q = z.start
                func next() throws -> UInt64 {
                    guard q + 8 <= z.start + z.length else {
                        throw ZipError.corrupt(path: path, what: "entry \(name): zip64 extra field is too short")
                    }
                    defer { q += 8 }
                    return bytes.u64(q)
                }
                if usize == 0xFFFF_FFFF { usize = try next() }
                if csize == 0xFFFF_FFFF { csize = try next() }
                if local == 0xFFFF_FFFF { local = try next() }
                if disk == 0xFFFF, q + 4 <= z.start + z.length { disk = bytes.u32(q) }
            }
            if flags & 0x41 != 0 { throw ZipError.encrypted(path: path, entry: name) }
            guard method == 0 else { throw ZipError.compressed(path: path, entry: name, method: method) }
            guard disk == 0 else { throw ZipError.corrupt(path: path, what: "entry \(name) lives on disk \(disk); multi-disk archives are not supported") }
            guard csize == usize else {
                throw ZipError.corrupt(path: path, what: "entry \(name) is stored but its sizes differ (\(csize) stored, \(usize) uncompressed)")
            }
            // The local header and the data must lie before the central directory.
            let limit = UInt64(end.directoryOffset)
            guard local <= limit, limit - local >= 30, bytes.u32(Int(local)) == 0x0403_4B50 else {
                throw ZipError.corrupt(path: path, what: "entry \(name): local header offset \(local) is not a local header")
            }
            let lh = Int(local)
            let localName = Int(bytes.u16(lh + 26)), localExtra = Int(bytes.u16(lh + 28))
            let dataOffset = lh + 30 + localName + localExtra
            guard dataOffset <= end.directoryOffset, bytes.slice(lh + 30, localName).elementsEqual(bytes.slice(nameAt, nameLength)) else {
                throw ZipError.corrupt(path: path, what: "entry \(name): the local header does not match the central directory")
            }
            guard usize <= UInt64(end.directoryOffset - dataOffset) else {
                throw ZipError.entryTooLarge(path: path, entry: name, size: usize, available: end.directoryOffset - dataOffset)
            }
            guard index[name] == nil else { throw ZipError.corrupt(path: path, what: "entry \(name) appears twice") }
            index[name] = list.count
            list.append(Entry(name: name, dataOffset: dataOffset, size: Int(usize), crc32: crc))
            spans.append((lh, dataOffset + Int(usize), name))
            p = extraAt + extraLength + commentLength
        }
        spans.sort { $0.start < $1.start }
        for (a, b) in zip(spans, spans.dropFirst()) where b.start < a.end {
            throw ZipError.corrupt(path: path, what: "entries \(a.name) and \(b.name) overlap")
        }
        self.entries = list
        self.index = index
    }

    func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The entry's bytes, after checking its CRC-32 against the central directory.
    func verifiedBytes(_ e: Entry) throws -> UnsafeRawBufferPointer {
        let b = storage.slice(offset: e.dataOffset, length: e.size)!
        let found = CRC32.checksum(b)
        guard found == e.crc32 else { throw ZipError.crcMismatch(path: path, entry: e.name, expected: e.crc32, found: found) }
        return b
    }

    // MARK: - End of central directory

    private struct End { var entryCount: Int; var directoryOffset: Int; var directorySize: Int }

    private static func findEnd(_ bytes: Bytes, path: String) throws -> End {
        // The record is 22 bytes plus a comment of at most 65535 bytes that must end the file.
        var at: Int?
        var p = bytes.count - 22
        while p >= max(0, bytes.count - 22 - 0xFFFF) {
            if bytes.u32(p) == 0x0605_4B50, p + 22 + Int(bytes.u16(p + 20)) == bytes.count { at = p; break }
            p -= 1
        }
        guard let e = at else {
            throw ZipError.truncated(path: path, what: "no end-of-central-directory record at the end of the file")
        }
        guard bytes.u16(e + 4) == 0, bytes.u16(e + 6) == 0 else {
            throw ZipError.corrupt(path: path, what: "multi-disk archives are not supported")
        }
        var end = End(entryCount: Int(bytes.u16(e + 10)), directoryOffset: Int(bytes.u32(e + 16)), directorySize: Int(bytes.u32(e + 12)))
        var directoryEnd = e
        if e >= 20, bytes.u32(e - 20) == 0x0706_4B50 {
            let z64 = bytes.u64(e - 20 + 8)
            guard z64 <= UInt64(e - 20), let z = bytes.range(Int(z64), 56), bytes.u32(z) == 0x0606_4B50 else {
                throw ZipError.corrupt(path: path, what: "the zip64 locator points to no zip64 end-of-central-directory record")
            }
            let count = bytes.u64(z + 32), size = bytes.u64(z + 40), offset = bytes.u64(z + 48)
            guard count <= UInt64(maxEntries), size <= UInt64(z), offset <= UInt64(z) else {
                throw ZipError.corrupt(path: path, what: "the zip64 end record claims \(count) entries in \(size) bytes at \(offset)")
            }
            end = End(entryCount: Int(count), directoryOffset: Int(offset), directorySize: Int(size))
            directoryEnd = z
        }
        guard end.directoryOffset <= directoryEnd, end.directorySize <= directoryEnd - end.directoryOffset else {
            throw ZipError.truncated(path: path, what: "the central directory (\(end.directorySize) bytes at \(end.directoryOffset)) lies outside the file's \(bytes.count) bytes")
        }
        guard end.entryCount <= maxEntries, end.entryCount <= end.directorySize / 46 else {
            throw ZipError.corrupt(path: path, what: "\(end.entryCount) entries cannot fit in a \(end.directorySize)-byte central directory")
        }
        return end
    }

    private static func extraField(_ id: UInt16, in bytes: Bytes, at start: Int, length: Int) -> (start: Int, length: Int)? {
        var p = start
        while p + 4 <= start + length {
            let tag = bytes.u16(p), size = Int(bytes.u16(p + 2))
            guard p + 4 + size <= start + length else { return nil }
            if tag == id { return (p + 4, size) }
            p += 4 + size
        }
        return nil
    }
}

/// Little-endian reads from a buffer; callers check ranges with `range` first.
private struct Bytes {
    let buffer: UnsafeRawBufferPointer
    var count: Int { buffer.count }

    /// `offset` when `[offset, offset+length)` lies inside the buffer.
    func range(_ offset: Int, _ length: Int) -> Int? {
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset ? offset : nil
    }
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length]) }
    func u16(_ o: Int) -> UInt16 { o >= 0 && o + 2 <= count ? UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: o, as: UInt16.self)) : 0 }
    func u32(_ o: Int) -> UInt32 { o >= 0 && o + 4 <= count ? UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: o, as: UInt32.self)) : 0 }
    func u64(_ o: Int) -> UInt64 { o >= 0 && o + 8 <= count ? UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: o, as: UInt64.self)) : 0 }
}

/// A zip archive bertkit will not read, naming the file and the entry.
public enum ZipError: LocalizedError, Equatable {
    case notAZip(path: String)
    case truncated(path: String, what: String)
    case corrupt(path: String, what: String)
    case compressed(path: String, entry: String, method: UInt16)
    case encrypted(path: String, entry: String)
    case entryTooLarge(path: String, entry: String, size: UInt64, available: Int)
    case crcMismatch(path: String, entry: String, expected: UInt32, found: UInt32)

    public var errorDescription: String? {
        switch self {
        case .notAZip(let p):
            return "\(p): not a zip archive (no PK\\3\\4 signature at the start)"
        case .truncated(let p, let w):
            return "\(p): truncated zip archive: \(w)\n---> HINT: the download or copy was cut short; fetch the file again"
        case .corrupt(let p, let w):
            return "\(p): corrupt zip archive: \(w)"
        case .compressed(let p, let e, let m):
            let how = m == 8 ? "deflate" : "method \(m)"
            return "\(p): entry \(e) is compressed (\(how)); bertkit reads only stored entries, as torch.save writes them"
                + "\n---> HINT: the archive was re-zipped by another tool; re-save it with torch.save, or convert it to safetensors"
        case .encrypted(let p, let e):
            return "\(p): entry \(e) is encrypted"
        case .entryTooLarge(let p, let e, let s, let a):
            return "\(p): entry \(e) claims \(s) bytes but only \(a) bytes remain before the central directory"
        case .crcMismatch(let p, let e, let x, let f):
            return "\(p): entry \(e) is corrupt: CRC-32 is \(hex(f)), the archive says \(hex(x))"
                + "\n---> HINT: the file was damaged in transfer; fetch it again"
        }
    }
}

private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: false).leftPadded(to: 8) }

extension String {
    fileprivate func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
