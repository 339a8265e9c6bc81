import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// One test per rule of formats/safetensors.md, each on a hand-made file.
final class SafeTensorsReaderTests: XCTestCase {
    private let one = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testReadsAValidFileZeroCopy() throws {
        let p = temporaryFile(safetensorsBytes(header: #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                                               data: littleEndianFloats([1.5, -2])))
        let f = try SafeTensorsFile.read(path: p)
        XCTAssertEqual(f.metadataDictionary, ["format": "pt"])
        XCTAssertEqual(f.tensors.map(\.name), ["a"])
        XCTAssertEqual(f["a"]?.floats(), [1.5, -2])
        // Zero-copy: the tensor is a view of the mapped file, not a copy.
        XCTAssertTrue(f["a"]!.storage === f.storage)
    }

    func testS1TruncatedBeforeTheHeaderLength() {
        let p = temporaryFile([1, 2, 3])
        assertThrows(SafeTensorsError.truncated(file: p, size: 3), mentions: [p, "truncated"]) { _ = try SafeTensorsFile.read(path: p) }
    }

    func testS2HeaderLengthOverTheCap() {
        let p = temporaryFile(safetensorsBytes(header: one, data: [UInt8](repeating: 0, count: 8), lengthOverride: 100_000_001))
        assertThrows(SafeTensorsError.headerTooLarge(file: p, length: 100_000_001), mentions: [p, "header length"]) {
            _ = try SafeTensorsFile.read(path: p)
        }
    }

    func testS3HeaderLengthPastTheEndOfTheFile() {
        let bytes = safetensorsBytes(header: one, data: [], lengthOverride: 1000)
        let p = temporaryFile(bytes)
        assertThrows(SafeTensorsError.headerPastEnd(file: p, length: 1000, available: bytes.count - 8), mentions: [p]) {
            _ = try SafeTensorsFile.read(path: p)
        }
    }

    func testS4HeaderNotUTF8() {
        var h = Array(#"{"a\#u{e9}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#.utf8)
        h[3] = 0xFF  // a lone continuation-less byte inside the name
        let p = temporaryFile(withUnsafeBytes(of: UInt64(h.count).littleEndian) { [UInt8]($0) } + h)
        assertThrows(SafeTensorsError.headerNotUTF8(file: p), mentions: [p, "UTF-8"]) { _ = try SafeTensorsFile.read(path: p) }
    }

    func testS5HeaderNotAJSONObject() {
        for header in ["[1,2]", #"{"a": NaN}"#, "{", String(repeating: "[", count: 200) + String(repeating: "]", count: 200)] {
            let p = temporaryFile(safetensorsBytes(header: header))
            let m = thrownMessage { _ = try SafeTensorsFile.read(path: p) }
            XCTAssertTrue(m.contains(p) && m.contains("header"), m)
        }
        // Nesting is capped (64 levels), so a deep header is refused by depth, not by stack overflow.
        let deep = temporaryFile(safetensorsBytes(header: #"{"a":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"))
        XCTAssertTrue(thrownMessage { _ = try SafeTensorsFile.read(path: deep) }.contains("nesting deeper"))
    }

    func testS6DuplicateTensorNames() {
        let h = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#
        let p = temporaryFile(safetensorsBytes(header: h))
        assertThrows(SafeTensorsError.duplicateTensor(file: p, name: "a"), mentions: [p, "\"a\""]) { _ = try SafeTensorsFile.read(path: p) }
    }

    func testS7MetadataValuesMustBeStrings() {
        let p = temporaryFile(safetensorsBytes(header: #"{"__metadata__":{"epoch":3}}"#))
        assertThrows(SafeTensorsError.badMetadata(file: p, key: "epoch", found: "an integer (3)"), mentions: [p, "__metadata__.epoch"]) {
            _ = try SafeTensorsFile.read(path: p)
        }
    }

    func testS8EntryFieldsMissingOrMistyped() {
        let cases: [(String, String)] = [
            (#"{"a":{"shape":[0],"data_offsets":[0,0]}}"#, "dtype: missing"),
            (#"{"a":{"dtype":"F32","data_offsets":[0,0]}}"#, "shape: missing"),
            (#"{"a":{"dtype":"F32","shape":[0]}}"#, "data_offsets: missing"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, "shape[0]: expected a non-negative integer, found -1"),
            (#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"#, "shape[0]"),
            (#"{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}"#, "larger than 2^63-1"),
            (#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0]}}"#, "data_offsets: expected [begin, end]"),
            (#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, "begin 4 is after end 0"),
            (#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,1e2]}}"#, "data_offsets[1]"),
            (#"{"a":[1]}"#, "expected an object"),
        ]
        for (h, expected) in cases {
            let p = temporaryFile(safetensorsBytes(header: h))
            let m = thrownMessage { _ = try SafeTensorsFile.read(path: p) }
            XCTAssertTrue(m.contains(p) && m.contains("tensor \"a\"") && m.contains(expected), "\(h): \(m)")
        }
    }

    func testS9UnknownDType() {
        let p = temporaryFile(safetensorsBytes(header: #"{"a":{"dtype":"F128","shape":[0],"data_offsets":[0,0]}}"#))
        assertThrows(SafeTensorsError.unknownDType(file: p, tensor: "a", dtype: "F128"), mentions: [p, "dtype", "F128"]) {
            _ = try SafeTensorsFile.read(path: p)
        }
    }

    func testS10ShapeProductOverflows() {
        let h = #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#
        let p = temporaryFile(safetensorsBytes(header: h))
        assertThrows(SafeTensorsError.shapeOverflow(file: p, tensor: "a", shape: [4294967296, 4294967296]), mentions: [p, "overflows"]) {
            _ = try SafeTensorsFile.read(path: p)
        }
        // The product fits but × 4 bytes does not.
        let h2 = #"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#
        let p2 = temporaryFile(safetensorsBytes(header: h2))
        assertThrows(SafeTensorsError.shapeOverflow(file: p2, tensor: "a", shape: [4611686018427387904])) { _ = try SafeTensorsFile.read(path: p2) }
    }

    func testS11ByteSpanMustEqualShapeTimesDTypeSize() {
        let p = temporaryFile(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)))
        assertThrows(SafeTensorsError.spanMismatch(file: p, tensor: "a", shape: [3], dtype: .f32, expected: 12, found: 8), mentions: [p, "needs 12"]) {
            _ = try SafeTensorsFile.read(path: p)
        }
    }

    func testS12GapsOverlapsAndOffsetsNotFromZero() {
        let gap = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}"#
        let p1 = temporaryFile(safetensorsBytes(header: gap, data: [0, 0, 0, 0, 0]))
        assertThrows(SafeTensorsError.notContiguous(file: p1, tensor: "b", begin: 3, expected: 2), mentions: [p1, "gap"]) {
            _ = try SafeTensorsFile.read(path: p1)
        }
        let overlap = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#
        let p2 = temporaryFile(safetensorsBytes(header: overlap, data: [0, 0, 0]))
        assertThrows(SafeTensorsError.notContiguous(file: p2, tensor: "b", begin: 1, expected: 2), mentions: ["overlaps"]) {
            _ = try SafeTensorsFile.read(path: p2)
        }
        let notFromZero = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#
        let p3 = temporaryFile(safetensorsBytes(header: notFromZero, data: [0, 0, 0]))
        assertThrows(SafeTensorsError.notContiguous(file: p3, tensor: "a", begin: 1, expected: 0)) { _ = try SafeTensorsFile.read(path: p3) }
        // Header order need not be offset order (safetensors sorts before checking).
        let swapped = #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        let p4 = temporaryFile(safetensorsBytes(header: swapped, data: [7, 8, 9]))
        XCTAssertEqual(try SafeTensorsFile.read(path: p4)["b"]?.integers(), [9])
    }

    func testS13TrailingBytesAndTruncatedData() {
        let p1 = temporaryFile(safetensorsBytes(header: one, data: [UInt8](repeating: 0, count: 9)))
        assertThrows(SafeTensorsError.dataSizeMismatch(file: p1, needed: 8, available: 9), mentions: [p1, "trailing"]) {
            _ = try SafeTensorsFile.read(path: p1)
        }
        let p2 = temporaryFile(safetensorsBytes(header: one, data: [UInt8](repeating: 0, count: 5)))
        assertThrows(SafeTensorsError.dataSizeMismatch(file: p2, needed: 8, available: 5), mentions: [p2, "truncated"]) {
            _ = try SafeTensorsFile.read(path: p2)
        }
    }

    func testS14EmptyAndRankZeroTensorsAreAllowed() throws {
        let h = #"{"empty":{"dtype":"F16","shape":[0,3],"data_offsets":[0,0]},"scalar":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#
        let p = temporaryFile(safetensorsBytes(header: h, data: withUnsafeBytes(of: Int64(-5).littleEndian) { [UInt8]($0) }))
        let f = try SafeTensorsFile.read(path: p)
        XCTAssertEqual(f["empty"]?.elementCount, 0)
        XCTAssertEqual(f["scalar"]?.shape, [])
        XCTAssertEqual(f["scalar"]?.integers(), [-5])
    }

    func testS15EveryDTypeIsRead() throws {
        var header = JSONObject()
        var data: [UInt8] = []
        for d in DType.allCases {
            header[d.rawValue] = .object(JSONObject([("dtype", .string(d.rawValue)), ("shape", .array([.int(2)])),
                                                     ("data_offsets", .array([.int(data.count), .int(data.count + 2 * d.byteSize)]))]))
            data += [UInt8](repeating: 1, count: 2 * d.byteSize)
        }
        let p = temporaryFile(safetensorsBytes(header: JSONValue.object(header).serialized(indent: 0), data: data))
        let f = try SafeTensorsFile.read(path: p)
        XCTAssertEqual(f.tensors.map { $0.tensor.dtype }, DType.allCases)
        XCTAssertEqual(f["I32"]?.integers(), [0x0101_0101, 0x0101_0101])
        XCTAssertEqual(f["U8"]?.integers(), [1, 1])
        XCTAssertEqual(f["BF16"]?.floats(), [Float(bitPattern: 0x0101_0000), Float(bitPattern: 0x0101_0000)])
    }
}
