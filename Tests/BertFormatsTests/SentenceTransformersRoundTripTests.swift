import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// golden/expected/st/roundtrip.json: sentence-transformers run on the original folders and on
/// bertkit's exports of them (folder → .bkm → folder), by golden/generate_st_roundtrip.py. The test
/// checks the recorded result, and that today's export is byte for byte the one it was measured on.
final class SentenceTransformersRoundTripTests: XCTestCase {
    private func check(_ model: String, source: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("st/roundtrip.json")))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        let r = try XCTUnwrap(all[model], "roundtrip.json has no \(model)")
        // The same weights and settings give sentence-transformers the same numbers (0 measured); 1e-6
        // would allow only kernel-order noise, far below the 0.114 a lost max_seq_length gave.
        XCTAssertLessThanOrEqual(try XCTUnwrap(r["max_abs_difference"] as? Double), 1e-6, model)
        for key in ["max_seq_length", "embedding_dimension"] {
            let v = try XCTUnwrap(r[key] as? [String: Int], "\(model) \(key)")
            XCTAssertEqual(v["export"], v["original"], "\(model) \(key)")
        }
        let tmp = Repo.temporaryDirectory()
        try CheckpointConverter.convert(source: source, output: tmp + "/m.bkm")
        try CheckpointConverter.convert(source: tmp + "/m.bkm", output: tmp + "/hf")
        let recorded = try XCTUnwrap(r["export_files"] as? [String: String])
        let made = FileManager.default.enumerator(atPath: tmp + "/hf")!.compactMap { $0 as? String }.filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: tmp + "/hf/" + $0, isDirectory: &dir) && !dir.boolValue
        }
        XCTAssertEqual(Set(made), Set(recorded.keys), "\(model): the export's files")
        for (f, sha) in recorded {
            XCTAssertEqual(try FileDigest.sha256(path: tmp + "/hf/" + f), sha,
                           "\(model) \(f): the export differs from the one measured; rerun golden/generate_st_roundtrip.py --roundtrip")
        }
    }

    func testMiniLMExportGivesSentenceTransformersTheSameEmbeddings() throws {
        try check("minilm", source: try Repo.requireMiniLM())
    }

    func testTinyDenseExportGivesSentenceTransformersTheSameEmbeddings() throws {
        try check("tiny-st-dense", source: Repo.fixture("tiny-st-dense"))
    }
}
