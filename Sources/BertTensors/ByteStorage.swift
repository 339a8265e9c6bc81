import Foundation

/// Bytes that tensors point into: a read-only memory map of a file, or memory bertkit owns.
/// Tensors keep their storage alive, so a mapped file stays mapped while any tensor uses it.
public final class ByteStorage: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    /// Where the bytes came from, for error messages.
    public let origin: String
    /// True for a read-only map of a file: its pages can be dropped and are read again on use.
    public let isFileMap: Bool
    private let release: () -> Void

    private init(base: UnsafeRawPointer, count: Int, origin: String, isFileMap: Bool = false, release: @escaping () -> Void) {
        self.base = base
        self.count = count
        self.origin = origin
        self.isFileMap = isFileMap
        self.release = release
    }

    deinit { release() }

    /// Copies `bytes` into memory owned by the storage.
    public convenience init(copying bytes: UnsafeRawBufferPointer, origin: String) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        if let src = bytes.baseAddress, bytes.count > 0 { p.copyMemory(from: src, byteCount: bytes.count) }
        self.init(base: UnsafeRawPointer(p), count: bytes.count, origin: origin) { p.deallocate() }
    }

    public convenience init(_ data: Data, origin: String) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.copyBytes(to: p.assumingMemoryBound(to: UInt8.self), count: data.count)
        self.init(base: UnsafeRawPointer(p), count: data.count, origin: origin) { p.deallocate() }
    }

    /// Zeroed memory of `count` bytes that the caller fills before sharing.
    public static func allocate(count: Int, origin: String) -> (ByteStorage, UnsafeMutableRawPointer) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        return (ByteStorage(base: UnsafeRawPointer(p), count: count, origin: origin) { p.deallocate() }, p)
    }

    /// Maps `path` read-only. An empty file maps to an empty storage.
    public static func map(path: String) throws -> ByteStorage {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IOError.notARegularFile(path: path) }
        return try map(fd: fd, size: Int(st.st_size), origin: path)
    }

    /// Maps the first `size` bytes of an open file read-only (the caller keeps or closes `fd`).
    public static func map(fd: Int32, size: Int, origin path: String) throws -> ByteStorage {
        if size == 0 {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
            return ByteStorage(base: UnsafeRawPointer(p), count: 0, origin: path) { p.deallocate() }
        }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw IOError.cannotOpen(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        return ByteStorage(base: UnsafeRawPointer(m), count: size, origin: path, isFileMap: true) { munmap(m, size) }
    }

    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Tells the OS that `[offset, offset+length)` will not be read soon, so a file map's whole
    /// pages in it leave resident memory (reading them again reads the file). Does nothing for
    /// memory bertkit owns. Lets a model copied to f32 not hold its file's pages too.
    public func dropPages(offset: Int, length: Int) {
        guard isFileMap, let s = slice(offset: offset, length: length), length > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: s.baseAddress!) + page - 1) / page * page
        let end = (Int(bitPattern: s.baseAddress!) + length) / page * page
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        madvise(p, end - start, MADV_DONTNEED)
    }

    /// The bytes `[offset, offset+length)`, checked against the storage's size.
    public func slice(offset: Int, length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }
}
