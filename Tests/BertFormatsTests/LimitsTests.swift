import BertTensors
import CHDF5
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

/// Every limit in the "Limits" tables of formats/*.md, at the limit and one past it. Where
/// reaching a limit for real would mean a file of hundreds of megabytes, the test sets the length
/// field to the limit and shows the limit is not what refuses it (the next check is), and sets it
/// one past to show the limit is. The pickle's limits are in PickleTests.
final class LimitsTests: XCTestCase {
    // MARK: - JSON (every JSON file bertkit reads)

    private func nested(_ depth: Int) -> [UInt8] { Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }

    func testJSONNestingAtTheLimitParsesAndOnePastItIsRefused() throws {
        XCTAssertNoThrow(try JSONParser.parse(nested(JSONParser.defaultMaxDepth), file: "x.json"))
        let m = thrownMessage { _ = try JSONParser.parse(nested(JSONParser.defaultMaxDepth + 1), file: "x.json") }
        XCTAssertTrue(m.hasPrefix("x.json:1:65: nesting deeper than 64 levels"), m)
    }

    func testSafetensorsHeaderNestingAtTheLimitAndPast() throws {
        // The header object (1) > the entry (2) > an ignored key nesting the rest.
        func file(_ depth: Int) -> String {
            let extra = String(decoding: nested(depth - 2), as: UTF8.self)
            return temporaryFile(safetensorsBytes(header: #"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":\#(extra)}}"#, data: [7]),
                                 function: "nesting\(depth)")
        }
        XCTAssertNoThrow(try SafeTensorsFile.read(path: file(64)))
        let p = file(65)
        XCTAssertTrue(thrownMessage { _ = try SafeTensorsFile.read(path: p) }.contains("nesting deeper than 64 levels"))
    }

    // MARK: - safetensors

    func testSafetensorsHeaderLengthAtTheCapAndPast() {
        let at = temporaryFile(safetensorsBytes(header: "{}", lengthOverride: 100_000_000), function: "at")
        assertThrows(SafeTensorsError.headerPastEnd(file: at, length: 100_000_000, available: 2)) { _ = try SafeTensorsFile.read(path: at) }
        let past = temporaryFile(safetensorsBytes(header: "{}", lengthOverride: 100_000_001), function: "past")
        assertThrows(SafeTensorsError.headerTooLarge(file: past, length: 100_000_001)) { _ = try SafeTensorsFile.read(path: past) }
    }

    func testSafetensorsIntegersUpTo2To63Minus1() {
        // 2^63-1 is read exactly (and then is past the data); 2^63 is refused as too large.
        let at = temporaryFile(safetensorsBytes(header: #"{"x":{"dtype":"U8","shape":[9223372036854775807],"data_offsets":[0,9223372036854775807]}}"#),
                               function: "at")
        XCTAssertTrue(thrownMessage { _ = try SafeTensorsFile.read(path: at) }.contains("the tensors need 9223372036854775807 bytes"))
        let past = temporaryFile(safetensorsBytes(header: #"{"x":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,1]}}"#),
                                 function: "past")
        XCTAssertTrue(thrownMessage { _ = try SafeTensorsFile.read(path: past) }.contains("9223372036854775808 is larger than 2^63-1"))
    }

    // MARK: - .bkm

    func testBKMHeaderLengthAtTheCapAndPast() throws {
        func file(_ length: UInt64, _ name: String) -> String {
            temporaryFile(BKMLayout.magic + le32(1) + le64(length) + le32(0) + le32(0) + Array("{}".utf8), name: "m.bkm", function: name)
        }
        let at = file(UInt64(BKMLayout.maxHeaderLength), "at")
        assertThrows(BKMError.headerPastEnd(file: at, length: UInt64(BKMLayout.maxHeaderLength), available: 2)) { _ = try BKMFile.open(path: at) }
        let past = file(UInt64(BKMLayout.maxHeaderLength) + 1, "past")
        assertThrows(BKMError.headerTooLarge(file: past, length: UInt64(BKMLayout.maxHeaderLength) + 1)) { _ = try BKMFile.open(path: past) }
    }

    // MARK: - config.json (and the config a .bkm carries)

    func testConfigSizesUpTo2To24() throws {
        var o = try JSONParser.parse(contentsOf: Repo.fixture("tiny-bert/config.json")).objectValue!
        o["max_position_embeddings"] = .int(1 << 24)
        XCTAssertEqual(try BertConfig(json: o, file: "config.json").maxPositionEmbeddings, 16_777_216)
        o["max_position_embeddings"] = .int(1 << 24 + 1)
        let m = thrownMessage { _ = try BertConfig(json: o, file: "config.json") }
        XCTAssertTrue(m.contains("\"max_position_embeddings\": 16777217 is implausibly large (over 16,777,216)"), m)
    }

    // MARK: - zip (pytorch_model.bin)

    /// A file that starts like a zip and ends with zip64 records claiming `entries` entries in a
    /// 46-byte central directory.
    private func zip64Claiming(_ entries: UInt64) -> [UInt8] {
        var b = le32(0x0403_4B50) + [UInt8](repeating: 0, count: 26) + [UInt8](repeating: 0, count: 46)
        let z = b.count
        b += le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0) + le64(entries) + le64(entries) + le64(46) + le64(30)
        b += le32(0x0706_4B50) + le32(0) + le64(UInt64(z)) + le32(1)
        b += le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
        return b
    }

    func testZipEntryCountAtTheLimitAndPast() throws {
        let at = temporaryFile(zip64Claiming(UInt64(ZipArchive.maxEntries)), name: "a.bin", function: "at")
        let m = thrownMessage { _ = try PyTorchBinReader.read(path: at) }
        XCTAssertTrue(m.contains("1048576 entries cannot fit in a 46-byte central directory"), m)
        let past = temporaryFile(zip64Claiming(UInt64(ZipArchive.maxEntries) + 1), name: "a.bin", function: "past")
        let n = thrownMessage { _ = try PyTorchBinReader.read(path: past) }
        XCTAssertTrue(n.contains("the zip64 end record claims 1048577 entries"), n)
    }

    func testDataPklUpTo16MiB() throws {
        // At the limit the pickle is read (and refused for its first opcode, 0x00); one byte more is refused unread.
        for (size, expected) in [(PyTorchBinReader.maxPickleBytes, "pickle opcode 0x0 at byte 0"), (PyTorchBinReader.maxPickleBytes + 1, "claims 16777217 bytes")] {
            var z = ZipBuilder()
            z.add("archive/data.pkl", [UInt8](repeating: 0, count: size))
            let p = Repo.temporaryDirectory("pkl\(size)") + "/pytorch_model.bin"
            z.write(to: p)
            let m = thrownMessage { _ = try PyTorchBinReader.read(path: p) }
            XCTAssertTrue(m.contains(expected), "\(size): \(m)")
        }
    }

    func testPickleIntegersUpTo8Bytes() {
        // LONG1 of 8 bytes (-1), then of 9 bytes.
        let eight: [UInt8] = [0x80, 0x02, 0x8A, 8] + [UInt8](repeating: 0xFF, count: 8) + [0x2E]
        XCTAssertEqual(eight.withUnsafeBytes { try? PickleDecoder.decode($0, source: "p").root }, .int(-1))
        let nine: [UInt8] = [0x80, 0x02, 0x8A, 9] + [UInt8](repeating: 0xFF, count: 9) + [0x2E]
        let m = thrownMessage { _ = try nine.withUnsafeBytes { try PickleDecoder.decode($0, source: "p") } }
        XCTAssertTrue(m.contains("integer of 9 bytes is too large"), m)
    }

    // MARK: - HDF5

    /// Writes an HDF5 file with libhdf5 directly (tests only): `build` gets the file id.
    private func h5(_ name: String, _ build: (hid_t) -> Void) -> String {
        let p = Repo.temporaryDirectory(name) + "/m.h5"
        _ = try? HDF5Library.locked {
            let f = H5Fcreate(p, bk_h5f_acc_trunc(), 0, 0)
            build(f)
            H5Fclose(f)
        }
        return p
    }

    private func dataset(_ loc: hid_t, _ name: String, dims: [Int]) {
        var d = dims.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(d.count), &d, nil)
        let set = H5Dcreate2(loc, name, bk_h5t_ieee_f32le(), space, 0, 0, 0)
        var values = [Float](repeating: 1, count: dims.reduce(1, *))
        H5Dwrite(set, bk_h5t_ieee_f32le(), 0, 0, 0, &values)
        H5Dclose(set)
        H5Sclose(space)
    }

    func testHDF5GroupNestingAtTheLimitAndPast() throws {
        // A dataset under n nested groups: the deepest group is at depth n.
        func file(_ n: Int) -> String {
            h5("depth\(n)") { f in
                var g = f, opened: [hid_t] = []
                for _ in 0..<n {
                    g = H5Gcreate2(g, "g", 0, 0, 0)
                    opened.append(g)
                }
                dataset(g, "w", dims: [2])
                for g in opened.reversed() { H5Gclose(g) }
            }
        }
        let at = try HDF5Reader.read(path: file(HDF5Reader.maxDepth - 1))
        XCTAssertEqual(at.entries.map(\.name), [Array(repeating: "g", count: HDF5Reader.maxDepth - 1).joined(separator: ".") + ".w"])
        let past = file(HDF5Reader.maxDepth)
        XCTAssertTrue(thrownMessage { _ = try HDF5Reader.read(path: past) }.contains("is nested more than 64 groups deep"))
    }

    func testHDF5ObjectCountAtTheLimitAndPast() throws {
        // A dataset, an empty group, and hard links to the group: `objects` links in all.
        func file(_ objects: Int) -> String {
            h5("objects\(objects)") { f in
                dataset(f, "w", dims: [1])
                H5Gclose(H5Gcreate2(f, "g", 0, 0, 0))
                for i in 0..<(objects - 2) { H5Lcreate_hard(f, "g", f, "l\(i)", 0, 0) }
            }
        }
        XCTAssertEqual(try HDF5Reader.read(path: file(HDF5Reader.maxObjects)).entries.map(\.name), ["w"])
        let past = file(HDF5Reader.maxObjects + 1)
        XCTAssertTrue(thrownMessage { _ = try HDF5Reader.read(path: past) }.contains("more than 65536 objects"))
    }

    func testHDF5RankAtTheLimit() throws {
        // HDF5 itself stores at most rank 32 (H5S_MAX_RANK), which bertkit reads; it cannot write rank 33.
        let p = h5("rank32") { f in dataset(f, "w", dims: [Int](repeating: 1, count: 32)) }
        XCTAssertEqual(try HDF5Reader.read(path: p).entries[0].tensor.shape.count, 32)
        var d = [hsize_t](repeating: 1, count: 33)
        XCTAssertLessThan(H5Screate_simple(33, &d, nil), 0)
    }

    /// A Keras-style file whose root `layer_names` attribute holds `count` fixed-length strings of
    /// `size` bytes ("a…a"). The latest file format stores attributes past 64 KiB.
    private func kerasNames(count: Int, size: Int, _ name: String) -> String {
        let p = Repo.temporaryDirectory(name) + "/tf_model.h5"
        _ = try? HDF5Library.locked {
            let fapl = H5Pcreate(bk_h5p_file_access())
            H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110)  // H5F_LIBVER_LATEST, a macro Swift does not import
            let f = H5Fcreate(p, bk_h5f_acc_trunc(), 0, fapl)
            let type = H5Tcopy(bk_h5t_c_s1())
            H5Tset_size(type, size)
            var n = hsize_t(count)
            let space = H5Screate_simple(1, &n, nil)
            let a = H5Acreate2(f, "layer_names", type, space, 0, 0)
            var text = [UInt8](repeating: UInt8(ascii: "a"), count: count * size)
            H5Awrite(a, type, &text)
            H5Aclose(a)
            H5Sclose(space)
            H5Tclose(type)
            H5Fclose(f)
            H5Pclose(fapl)
        }
        return p
    }

    func testHDF5StringAttributesUpToTheirLimits() throws {
        // At each limit the names are read (then refused: no such layer); one past, the attribute is.
        func message(_ count: Int, _ size: Int) -> String {
            let p = kerasNames(count: count, size: size, "names\(count)x\(size)")
            return thrownMessage { _ = try HDF5Reader.read(path: p) }
        }
        XCTAssertTrue(message(1, 65536).contains("layer_names lists layer aaaa"))
        XCTAssertTrue(message(1, 65537).contains("attribute layer_names of / has 1 strings of 65537 bytes"))
        XCTAssertTrue(message(HDF5Reader.maxObjects, 1).contains("layer_names lists layer a,"))
        XCTAssertTrue(message(HDF5Reader.maxObjects + 1, 1).contains("attribute layer_names of / holds 65537 values"))
        XCTAssertTrue(message(1024, 65536).contains("layer_names lists layer aaaa"), "64 MiB in all")
        XCTAssertTrue(message(1025, 65536).contains("has 1025 strings of 65536 bytes"))
    }
}
