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

    func testSHA256() throws {
        let dir = Repo.temporaryDirectory()
        try Data("abc".utf8).write(to: URL(fileURLWithPath: dir + "/abc"))
        XCTAssertEqual(try FileDigest.sha256(path: dir + "/abc"),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

import TestSupport
