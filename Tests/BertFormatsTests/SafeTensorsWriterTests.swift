import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

final class SafeTensorsWriterTests: XCTestCase {
    func testWrittenFileReadsBackBitExactWithPaddedHeaderAndAlignedData() throws {
        let dir = Repo.temporaryDirectory()
        let p = dir + "/out.safetensors"
        let ids = tensor([Int64(1), -2, 3], dtype: .i64, shape: [3])
        let tensors: [(name: String, tensor: RawTensor)] = [
            ("h", RawTensor(floats: [1, 2, 3], shape: [3], dtype: .f16)),
            ("w", RawTensor(floats: [0.1, -0.2, .infinity, .nan], shape: [2, 2])),
            ("ids", ids),
            ("empty", RawTensor(floats: [], shape: [0, 4])),
        ]
        try SafeTensorsWriter.write(tensors, metadata: [("format", "pt")], to: p)
        let f = try SafeTensorsFile.read(path: p)
        XCTAssertEqual(f.metadataDictionary, ["format": "pt"])
        for (name, t) in tensors { XCTAssertTrue(f[name]!.bitIdentical(to: t), name) }
        // Header padded with spaces to a multiple of 8, so data starts 8-aligned; wider dtypes first.
        let n = f.storage.base.loadUnaligned(as: UInt64.self)
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: f.storage.buffer[8..<8 + Int(n)], as: UTF8.self)
        let padding = header.reversed().prefix { $0 == " " }.count
        XCTAssertTrue(padding < 8 && header.dropLast(padding).hasSuffix("}"), header)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"format":"pt"},"ids":"#), header)
        XCTAssertEqual(f["ids"]!.offset, 8 + Int(n))
        for (_, t) in f.tensors { XCTAssertEqual(t.offset % t.dtype.byteSize, 0) }
        XCTAssertEqual(folderListing(dir), ["out.safetensors"])
    }

    func testDuplicateNamesAreRefusedAndNothingIsWritten() {
        let dir = Repo.temporaryDirectory()
        let t = RawTensor(floats: [1], shape: [1])
        assertThrows(SafeTensorsError.duplicateTensor(file: dir + "/x.safetensors", name: "a")) {
            try SafeTensorsWriter.write([("a", t), ("a", t)], to: dir + "/x.safetensors")
        }
        XCTAssertEqual(folderListing(dir), [])
    }
}
