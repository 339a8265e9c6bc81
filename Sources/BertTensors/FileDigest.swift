import CBertKit
import Crypto
import Foundation

public enum FileDigest {
    /// Hex SHA-256 of a file's bytes, read through a memory map.
    public static func sha256(path: String) throws -> String {
        let s = try ByteStorage.map(path: path)
        return sha256(s.buffer)
    }

    /// Hex SHA-256 of a file mapped 4 MiB at a time, each window unmapped once hashed: the file is
    /// not added to the resident set, and unlike read() no copy is made (`convert` hashes its source
    /// beside the write: read()'s copy was a fifth of the hashing thread's time).
    public static func sha256Streaming(path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var hasher = SHA256()
        guard st.st_mode & S_IFMT == S_IFREG else {  // a pipe or device has no size to map: read it
            try readAll(fd, path: path) { hasher.update(bufferPointer: $0) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
        let size = Int(st.st_size), window = 4 << 20
        var offset = 0
        while offset < size {
            let n = min(window, size - offset)
            // MAP_POPULATE: the window's pages are mapped in one call, not faulted one by one.
            guard let base = mmap(nil, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(offset)), base != MAP_FAILED else {
                throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base, count: n))
            munmap(base, n)
            offset += n
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func readAll(_ fd: Int32, path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public static func crc32c(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        bk_crc32c(seed, bytes.baseAddress, bytes.count)
    }
}

/// SHA-256 over several pieces in turn (a step golden's `weights_sha256`: each parameter's name
/// and f32 bytes), without joining them first.
public struct StreamingSHA256 {
    private var hasher = SHA256()
    public init() {}
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    public func hex() -> String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}
