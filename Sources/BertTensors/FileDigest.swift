import CBertKit
import Crypto
import Foundation

public enum FileDigest {
    /// Hex SHA-256 of a file's bytes, read through a memory map.
    public static func sha256(path: String) throws -> String {
        let s = try ByteStorage.map(path: path)
        return sha256(s.buffer)
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public static func crc32c(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        bk_crc32c(seed, bytes.baseAddress, bytes.count)
    }
}
