import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// Hand-made safetensors bytes: a header length (the real one unless `lengthOverride`), the
/// header text, then `data`.
func safetensorsBytes(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    return withUnsafeBytes(of: (lengthOverride ?? UInt64(h.count)).littleEndian) { [UInt8]($0) } + h + data
}

/// Writes `bytes` to a fresh temporary file named `name` and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String = "model.safetensors", function: String = #function) -> String {
    let dir = Repo.temporaryDirectory(function)
    let p = dir + "/" + name
    FileManager.default.createFile(atPath: p, contents: Data(bytes))
    return p
}

/// Asserts that `body` throws an error equal to `expected` whose message names `file` and
/// contains each of `mentions`.
func assertThrows<E: Error & Equatable & LocalizedError>(
    _ expected: E, mentions: [String] = [], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let e as E {
        XCTAssertEqual(e, expected, file: file, line: line)
        let message = e.errorDescription ?? ""
        for m in mentions { XCTAssertTrue(message.contains(m), "message \"\(message)\" lacks \"\(m)\"", file: file, line: line) }
    } catch {
        XCTFail("expected \(expected), got \(type(of: error)): \(error.localizedDescription)", file: file, line: line)
    }
}

/// The message of whatever `body` throws (failing when it throws nothing).
func thrownMessage(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> String {
    do {
        try body()
        XCTFail("expected an error, nothing was thrown", file: file, line: line)
        return ""
    } catch {
        return (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }
}

func littleEndianFloats(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { [UInt8]($0) } } }

/// Files in `dir`, hidden ones included (temporary files start with a dot).
func folderListing(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// A tensor owning a copy of `values`' bytes (integers or doubles).
func tensor<T>(_ values: [T], dtype: DType, shape: [Int]) -> RawTensor {
    values.withUnsafeBytes { try! RawTensor(dtype: dtype, shape: shape, copying: $0) }
}
