import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

/// Builds zip archives byte by byte, so tests can make exactly the defect they need.
struct ZipBuilder {
    struct Item {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var flags: UInt16 = 0
        /// Overrides for the central directory's fields (to make corrupt archives).
        var crc: UInt32?
        var size: UInt32?
    }

    var items: [Item] = []
    /// Writes zip64 records and extra fields even though nothing needs them.
    var zip64 = false
    /// Pads each local header's extra field so that data starts on a 64-byte boundary, as torch does.
    var align = true

    mutating func add(_ name: String, _ data: [UInt8]) { items.append(Item(name: name, data: data)) }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for item in items {
            let offset = out.count, name = Array(item.name.utf8)
            let crc = item.crc ?? item.data.withUnsafeBytes { CRC32.checksum($0) }
            let size = item.size ?? UInt32(item.data.count)
            // Local header.
            out += le32(0x0403_4B50) + le16(20) + le16(item.flags) + le16(item.method) + le16(0) + le16(0)
            out += le32(crc) + le32(UInt32(item.data.count)) + le32(UInt32(item.data.count))
            let pad = align ? (64 - (offset + 30 + name.count + 4) % 64) % 64 : 0
            let localExtra: [UInt8] = align ? le16(0x4246) + le16(UInt16(pad)) + [UInt8](repeating: 0, count: pad) : []
            out += le16(UInt16(name.count)) + le16(UInt16(localExtra.count)) + name + localExtra + item.data
            // Central header.
            let extra: [UInt8] = zip64 ? le16(1) + le16(24) + le64(UInt64(size)) + le64(UInt64(size)) + le64(UInt64(offset)) : []
            central += le32(0x0201_4B50) + le16(45) + le16(45) + le16(item.flags) + le16(item.method) + le16(0) + le16(0)
            central += le32(crc)
            central += zip64 ? le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) : le32(size) + le32(size)
            central += le16(UInt16(name.count)) + le16(UInt16(extra.count)) + le16(0) + le16(0) + le16(0) + le32(0)
            central += zip64 ? le32(0xFFFF_FFFF) : le32(UInt32(offset))
            central += name + extra
        }
        let cdOffset = out.count
        out += central
        if zip64 {
            let z = out.count
            out += le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            out += le64(UInt64(items.count)) + le64(UInt64(items.count)) + le64(UInt64(central.count)) + le64(UInt64(cdOffset))
            out += le32(0x0706_4B50) + le32(0) + le64(UInt64(z)) + le32(1)
            out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
        } else {
            out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(items.count)) + le16(UInt16(items.count))
            out += le32(UInt32(central.count)) + le32(UInt32(cdOffset)) + le16(0)
        }
        return out
    }

    func write(to path: String) { FileManager.default.createFile(atPath: path, contents: Data(bytes())) }
}

func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

final class ZipTests: XCTestCase {
    private func open(_ bytes: [UInt8], _ name: String = #function) throws -> ZipArchive {
        let p = Repo.temporaryDirectory(name) + "/a.zip"
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return try ZipArchive(path: p, storage: ByteStorage.map(path: p))
    }

    private func expectError(_ bytes: [UInt8], _ check: (ZipError, String) -> Void, _ name: String = #function) {
        do {
            let z = try open(bytes, name)
            for e in z.entries { _ = try z.verifiedBytes(e) }
            XCTFail("expected a zip error")
        } catch let e as ZipError {
            check(e, e.errorDescription ?? "")
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    func testCRC32MatchesTheZlibCheckValue() {
        // The standard check value of CRC-32/ISO-HDLC (zlib's crc32) for "123456789".
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        // Long enough to go through the 8-byte loop, split anywhere: continuing gives the same CRC.
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = long.withUnsafeBytes { CRC32.checksum($0) }
        let part = long.withUnsafeBytes { b in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[333...]), continuing: CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[..<333])))
        }
        XCTAssertEqual(whole, part)
    }

    func testReadsStoredEntries() throws {
        var b = ZipBuilder()
        b.add("archive/data.pkl", [1, 2, 3])
        b.add("archive/data/0", Array(repeating: 7, count: 100))
        let z = try open(b.bytes())
        XCTAssertEqual(z.entries.map(\.name), ["archive/data.pkl", "archive/data/0"])
        XCTAssertEqual(Array(try z.verifiedBytes(z.entry(named: "archive/data/0")!)), Array(repeating: 7, count: 100))
    }

    func testReadsZip64Records() throws {
        var b = ZipBuilder()
        b.zip64 = true
        b.add("archive/data/0", [9, 8, 7, 6])
        let z = try open(b.bytes())
        XCTAssertEqual(Array(try z.verifiedBytes(z.entries[0])), [9, 8, 7, 6])
    }

    func testReadsTorchSaveArchive() throws {
        let p = Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin")
        let z = try ZipArchive(path: p, storage: ByteStorage.map(path: p))
        XCTAssertTrue(z.entries.contains { $0.name.hasSuffix("/data.pkl") })
        // torch aligns storages to 64 bytes so that they can be mapped in place.
        for e in z.entries where e.name.contains("/data/") { XCTAssertEqual(e.dataOffset % 64, 0, e.name) }
    }

    func testTruncatedArchiveIsRefused() throws {
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin"))))
        expectError(Array(whole.prefix(whole.count / 2))) { e, m in
            guard case .truncated = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("a.zip") && m.contains("end-of-central-directory"), m)
        }
    }

    func testOversizedEntryIsRefused() {
        var b = ZipBuilder()
        b.add("archive/data.pkl", [1, 2, 3])
        b.items[0].size = 1 << 30
        expectError(b.bytes()) { e, m in
            guard case .entryTooLarge(_, "archive/data.pkl", 1 << 30, _) = e else { return XCTFail(m) }
        }
    }

    func testCorruptCRCIsRefused() {
        var b = ZipBuilder()
        b.add("archive/data/0", [1, 2, 3, 4])
        b.items[0].crc = 0xDEAD_BEEF
        expectError(b.bytes()) { e, m in
            guard case .crcMismatch(_, "archive/data/0", 0xDEAD_BEEF, _) = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("archive/data/0") && m.contains("0xdeadbeef"), m)
        }
    }

    func testFlippedDataByteFailsTheCRC() throws {
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin"))))
        let p = Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin")
        let z = try ZipArchive(path: p, storage: ByteStorage.map(path: p))
        let e = z.entries.first { $0.name.hasSuffix("/data/0") }!
        bytes[e.dataOffset + 5] ^= 0x01
        expectError(bytes) { err, m in
            guard case .crcMismatch(_, let name, _, _) = err else { return XCTFail(m) }
            XCTAssertEqual(name, e.name)
        }
    }

    func testCompressedEntryIsRefusedByName() {
        var b = ZipBuilder()
        b.add("archive/data.pkl", [1, 2, 3])
        b.items[0].method = 8
        expectError(b.bytes()) { e, m in
            guard case .compressed(_, "archive/data.pkl", 8) = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("deflate"), m)
        }
    }

    func testEncryptedEntryIsRefused() {
        var b = ZipBuilder()
        b.add("archive/data.pkl", [1, 2, 3])
        b.items[0].flags = 1
        expectError(b.bytes()) { e, m in
            guard case .encrypted(_, "archive/data.pkl") = e else { return XCTFail(m) }
        }
    }

    func testNotAZip() {
        expectError(Array("hello, world".utf8)) { e, m in
            guard case .notAZip = e else { return XCTFail(m) }
        }
    }

    func testCentralDirectoryPastTheFileIsRefused() {
        var b = ZipBuilder()
        b.add("archive/data.pkl", [1, 2, 3])
        var bytes = b.bytes()
        // The end record's directory offset (bytes 16..<20 of the last 22) points past the end.
        let at = bytes.count - 22 + 16
        bytes.replaceSubrange(at..<at + 4, with: le32(UInt32(bytes.count * 2)))
        expectError(bytes) { e, m in
            guard case .truncated = e else { return XCTFail(m) }
        }
    }
}
