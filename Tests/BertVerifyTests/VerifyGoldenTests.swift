import BertFormats
import BertModel
import BertVerify
import TestSupport
import XCTest

/// The forward against transformers' own activations, every tap.
final class VerifyGoldenTests: XCTestCase {
    func report(model path: String, golden: String, tolerance: Tolerance = .f32) throws -> VerifyReport {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: path))
        let g = try GoldenFile.read(path: Repo.expected(golden), layers: model.config.numHiddenLayers)
        let r = try Verifier.verify(model: model, golden: g, tolerance: tolerance)
        for t in r.taps {
            print(String(format: "%-40@ max %.2e mean %.2e rel %.2e cos %.8f %@", t.tap as NSString, t.maxAbsError,
                         t.meanAbsError, t.maxRelError, t.cosine, t.passed ? "ok" : "FAIL"))
        }
        return r
    }

    func testTinyBert() throws {
        let r = try report(model: Repo.fixture("tiny-bert"), golden: "tiny-bert.acts.safetensors")
        XCTAssertTrue(r.passed)
    }

    func testTinyCls() throws {
        let r = try report(model: Repo.fixture("tiny-cls"), golden: "tiny-cls.acts.safetensors")
        XCTAssertTrue(r.passed)
    }

    func testMiniLM() throws {
        let r = try report(model: try Repo.requireMiniLM(), golden: "minilm.acts.safetensors")
        XCTAssertTrue(r.passed)
    }
}
