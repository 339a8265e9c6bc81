import BertTensors
import XCTest

final class ChecksumTests: XCTestCase {
    func testCRC32CCheckValue() {
        // The standard check value of CRC-32C (RFC 3720 appendix B.4).
        let v = Array("123456789".utf8).withUnsafeBytes { FileDigest.crc32c($0) }
        XCTAssertEqual(v, 0xE306_9283)
    }

    func testCRC32CIsIncrementalAndCoversTails() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = bytes.withUnsafeBytes { FileDigest.crc32c($0) }
        let part = bytes[0..<333].withUnsafeBytes { FileDigest.crc32c($0) }
        let rest = bytes[333...].withUnsafeBytes { FileDigest.crc32c($0, seed: part) }
        XCTAssertEqual(whole, rest)
        var flipped = bytes
        flipped[999] ^= 1
        XCTAssertNotEqual(whole, flipped.withUnsafeBytes { FileDigest.crc32c($0) })
    }

    /// Bit by bit, as RFC 3720 defines it: what the three-chain hardware path must agree with.
    static func crc32cBitwise(_ bytes: ArraySlice<UInt8>, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    func testCRC32CMatchesBitwiseAcrossTheThreeChainBlocks() {
        // Lengths around the joins of the three chains (3 × 256 and 3 × 8192 bytes), at unaligned starts.
        let bytes = (0..<80_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        for start in [0, 1, 5] {
            for n in [767, 768, 769, 1543, 24_575, 24_576, 24_577, 49_157, 79_000] {
                let slice = bytes[start..<start + n]
                let got = slice.withUnsafeBytes { FileDigest.crc32c($0, seed: 0x1234_5678) }
                XCTAssertEqual(got, Self.crc32cBitwise(slice, seed: 0x1234_5678), "\(n) bytes from \(start)")
            }
        }
    }

    func testSHA256StreamingAcrossMapWindows() throws {
        // 4 MiB windows: a file one window and 3 bytes long hashes as the whole-file map does.
        let dir = Repo.temporaryDirectory()
        let bytes = Data((0..<(4 << 20) + 3).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try bytes.write(to: URL(fileURLWithPath: dir + "/big"))
        try Data().write(to: URL(fileURLWithPath: dir + "/empty"))
        XCTAssertEqual(try FileDigest.sha256Streaming(path: dir + "/big"), try FileDigest.sha256(path: dir + "/big"))
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        XCTAssertEqual(try FileDigest.sha256Streaming(path: dir + "/empty"), empty)
        XCTAssertEqual(try FileDigest.sha256Streaming(path: "/dev/null"), empty, "a device is read, not mapped")
    }

    func testSHA256() throws {
        let dir = Repo.temporaryDirectory()
        try Data("abc".utf8).write(to: URL(fileURLWithPath: dir + "/abc"))
        XCTAssertEqual(try FileDigest.sha256(path: dir + "/abc"),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

import TestSupport
