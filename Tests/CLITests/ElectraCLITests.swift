import BertFormats
import Foundation
import TestSupport
import XCTest

/// ELECTRA fixtures (golden/generate_electra.py) through the command line, beside what FamilyCLITests
/// runs on every family's fixtures (the pipelines, embed, diff/validate/attention, finetune/evaluate):
/// every format converts and verifies (the discriminator's own tests: ElectraDiscriminatorCLITests).
final class ElectraCLITests: XCTestCase {
    func folder(_ name: String, _ format: String = "safetensors") -> String { FamilyFixtures.folder(name, format) }

    /// Every source format of a projected (embedding_size ≠ hidden_size) and an unprojected fixture
    /// converts to .bkm, back to a folder, and verifies against transformers' golden.
    func testEveryFormatConvertsAndVerifies() throws {
        let dir = Repo.temporaryDirectory()
        for (name, _, formats) in FamilyFixtures.all where ["electra-masked-lm", "electra-multiple-choice", "electra-regression", "electra-pre-training"].contains(name) {
            let golden = Repo.expected("families/\(name).acts.safetensors")
            for format in formats {
                let bkm = dir + "/\(name)-\(format).bkm"
                let c = try ToolRun.run(["convert", folder(name, format), bkm])
                XCTAssertEqual(c.status, 0, "\(name) \(format): " + c.stderr)
                let v = try ToolRun.run(["verify", bkm, golden])
                XCTAssertEqual(v.status, 0, "\(name) \(format): " + v.stdout + v.stderr)
            }
            let out = dir + "/\(name)-folder"
            XCTAssertEqual(try ToolRun.run(["convert", dir + "/\(name)-safetensors.bkm", out]).status, 0)
            for f in ["tokenizer.json", "tokenizer_config.json"] {
                XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + f), FileManager.default.contents(atPath: folder(name) + "/" + f),
                               "\(name): \(f) byte for byte")
            }
            XCTAssertEqual(try ToolRun.run(["verify", out, golden]).status, 0, "\(name): the folder written back verifies")
        }
    }
}
