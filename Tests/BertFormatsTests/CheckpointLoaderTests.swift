import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

final class CheckpointLoaderTests: XCTestCase {
    func testLoadsMiniLMFolderWithPoolingAndTokenizer() throws {
        let dir = try Repo.requireMiniLM()
        let c = try CheckpointLoader.load(path: dir)
        XCTAssertEqual(c.config.hiddenSize, 384)
        XCTAssertEqual(c.config.numHiddenLayers, 6)
        XCTAssertEqual(c.vocabulary?.count, 30522)
        XCTAssertEqual(c.tokenizer?.doLowerCase, true)
        XCTAssertEqual(c.pooling, SentencePooling(mode: .mean, normalize: true))
        XCTAssertTrue(c.architecture.pooler)
        XCTAssertEqual(c.parameterCount, 22_713_216)
        XCTAssertEqual(c["encoder.layer.5.output.LayerNorm.bias"]?.shape, [384])
        XCTAssertEqual(c.provenance.sourceFormat, "safetensors")
        XCTAssertTrue(c.provenance.sources.contains { $0.file == "model.safetensors" })
    }

    func testFolderWithoutWeightsListsWhatWasLookedFor() throws {
        let dir = Repo.temporaryDirectory()
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        for name in ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "tf_model.h5", "model.h5"] {
            XCTAssertTrue(m.contains(name), m)
        }
    }

    func testBareWeightsFileNeedsAConfig() throws {
        let dir = try Repo.requireMiniLM()
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir + "/model.safetensors") }
        XCTAssertTrue(m.contains("a bare weights file has no config") && m.contains("config.json is beside it"), m)
        let c = try CheckpointLoader.load(path: dir + "/model.safetensors", configOverride: dir + "/config.json",
                                          vocabOverride: dir + "/vocab.txt")
        XCTAssertEqual(c.vocabulary?.count, 30522)
        XCTAssertNil(c.pooling)
    }

    func testEveryTinyFixtureLoads() throws {
        for (fixture, labels, layers) in [("tiny-bert", 0, 2), ("tiny-bert-sharded", 0, 2), ("tiny-cls", 5, 3), ("tiny-cls-tokjson", 5, 3)] {
            let c = try CheckpointLoader.load(path: Repo.fixture(fixture))
            XCTAssertEqual(c.config.numLabels, labels, fixture)
            XCTAssertEqual(c.config.numHiddenLayers, layers, fixture)
            XCTAssertEqual(c.vocabulary?.count, 217, fixture)
            XCTAssertEqual(c.head == .sequenceClassification, labels > 0, fixture)
            XCTAssertTrue(c.report.unexpected.isEmpty && c.report.unused.isEmpty, fixture)
        }
        // tokenizer.json and vocab.txt describe the same tokenizer.
        let json = try CheckpointLoader.load(path: Repo.fixture("tiny-cls-tokjson")), txt = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        XCTAssertEqual(json.vocabulary, txt.vocabulary)
        XCTAssertEqual(json.tokenizer?.doLowerCase, txt.tokenizer?.doLowerCase)
    }
}
