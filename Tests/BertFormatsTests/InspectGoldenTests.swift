import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// `inspect` statistics against golden/expected/*.inspect.json (numpy, float64, population std).
final class InspectGoldenTests: XCTestCase {
    private func check(golden: String, file: String, line: UInt = #line) throws {
        let expected = try JSONParser.parse(contentsOf: Repo.expected(golden)).objectValue!
        let r = try ModelInspection.inspect(path: Repo.fixture(file))
        let actual = r.json.objectValue!
        for key in ["tensors", "parameters", "bytes"] {
            XCTAssertEqual(actual["totals"]?.objectValue?[key], expected["totals"]?.objectValue?[key], "totals.\(key)", line: line)
        }
        XCTAssertEqual(actual["metadata"], expected["metadata"], line: line)
        let et = expected["tensors"]!.objectValue!, at = actual["tensors"]!.objectValue!
        XCTAssertEqual(Set(at.keys), Set(et.keys), line: line)
        for (name, e) in et {
            guard let a = at[name]?.objectValue, let e = e.objectValue else { continue }
            for key in ["dtype", "shape", "nbytes", "nan", "inf"] { XCTAssertEqual(a[key], e[key], "\(name).\(key)", line: line) }
            // min and max are stored values widened exactly: equal to the last bit.
            for key in ["min", "max"] { XCTAssertEqual(a[key]?.doubleValue, e[key]?.doubleValue, "\(name).\(key)", line: line) }
            // mean and std sum ≤ 30k float64 terms in a different order than numpy's pairwise sum:
            // the difference is a few ulps of the sum, far below 1e-12 relative.
            for key in ["mean", "std"] {
                let x = a[key]!.doubleValue!, y = e[key]!.doubleValue!
                XCTAssertLessThanOrEqual(abs(x - y), 1e-12 * max(abs(y), 1e-3), "\(name).\(key): \(x) vs \(y)", line: line)
            }
        }
    }

    func testTinyBertF32() throws { try check(golden: "tiny-bert.inspect.json", file: "tiny-bert/model.safetensors") }
    func testTinyBertF16() throws { try check(golden: "tiny-bert-f16.inspect.json", file: "tiny-bert/model-f16.safetensors") }
    func testTinyBertBF16() throws { try check(golden: "tiny-bert-bf16.inspect.json", file: "tiny-bert/model-bf16.safetensors") }
    func testTinyCls() throws { try check(golden: "tiny-cls.inspect.json", file: "tiny-cls/model.safetensors") }

    func testNaNAndInfAreCountedAndLeftOut() {
        let s = TensorStats(of: RawTensor(floats: [1, .nan, 3, .infinity, -.infinity, .nan], shape: [6]))
        XCTAssertEqual(s.nan, 2)
        XCTAssertEqual(s.inf, 2)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 3)
        XCTAssertEqual(s.mean, 2)
        XCTAssertEqual(s.std, 1)  // population std of {1, 3}
        let none = TensorStats(of: RawTensor(floats: [.nan], shape: [1]))
        XCTAssertNil(none.mean)
        XCTAssertEqual(none.nan, 1)
        let ints = TensorStats(of: tensor([Int64(-4), 9, 2], dtype: .i64, shape: [3]))
        XCTAssertEqual(ints.min, -4)
        XCTAssertEqual(ints.max, 9)
        XCTAssertNil(ints.mean)
    }

    func testStatisticsAreFloat64AcrossChunks() {
        // 20,000 values (more than one 8,192-value chunk) whose float32 sum would lose the 1e-3 parts.
        let v = (0..<20_000).map { Float(10_000) + ($0 % 2 == 0 ? 0.001 : -0.001) }
        let s = TensorStats(of: RawTensor(floats: v, shape: [20_000]))
        let exact = v.reduce(0.0) { $0 + Double($1) } / 20_000
        XCTAssertEqual(s.mean!, exact, accuracy: 1e-9)
        XCTAssertEqual(s.std!, Double(Float(10_000.001)) - exact, accuracy: 1e-9)
    }

    func testBKMInspectReadsOnlyTheTensorsItPrints() throws {
        let p = Repo.temporaryDirectory() + "/tiny.bkm"
        try BKMWriter.write(TinyModel.checkpoint(), to: p)
        let victim = try BKMFile.open(path: p).entry("encoder.layer.0.intermediate.dense.weight")!
        var bytes = [UInt8](FileManager.default.contents(atPath: p)!)
        bytes[victim.fileOffset + 3] ^= 0x10
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        // Neither the table without statistics nor another tensor's statistics read the corrupt tensor.
        let noStats = try ModelInspection.inspect(path: p, stats: false)
        XCTAssertEqual(noStats.rows.count, 23)
        XCTAssertTrue(noStats.rows.allSatisfy { $0.stats == nil })
        let one = try ModelInspection.inspect(path: p, only: ["pooler.dense.bias"])
        XCTAssertEqual(one.rows.map(\.name), ["pooler.dense.bias"])
        XCTAssertNotNil(one.rows[0].stats)
        XCTAssertEqual(one.totalTensors, 23)
        // Statistics of every tensor read it, and its checksum fails.
        XCTAssertTrue(thrownMessage { _ = try ModelInspection.inspect(path: p) }.contains("encoder.layer.0.intermediate.dense.weight\": crc32c"))
    }
}
