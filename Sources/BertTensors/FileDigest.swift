import CBertKit
import Crypto
import Foundation

public enum FileDigest {
    /// Hex SHA-256 of a file's bytes, read through a memory map.
    public static func sha256(path: String) throws -> String {
        let s = try ByteStorage.map(path: path)
        return sha256(s.buffer)
    }

    /// Hex SHA-256 of a file read in 4 MiB pieces: the page cache is not mapped into the process, so
    /// hashing a large file does not add it to the resident set.
    public static func sha256Streaming(path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
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
