import Foundation
import TestSupport
import XCTest

final class DumpTests: XCTestCase {
    /// tiny-cls's golden texts, as generate.py encoded them (a pair in row 1).
    let texts = ["The team will win today.", "Who won?", "Café prices up, naïve?", "中 is [MASK]."]
    let pairs = ["", "Prices fell 3%."]

    func testDumpWritesEveryTapInTheGoldenLayout() throws {
        let out = Repo.temporaryDirectory() + "/acts.safetensors"
        let r = try ToolRun.run(["dump", Repo.fixture("tiny-cls")] + texts + pairs.flatMap { ["--pair", $0] } + ["-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let g = try GoldenBytes(path: out)
        var want = ["input_ids", "attention_mask", "token_type_ids", "embeddings", "pooler", "classifier"]
        for l in 0..<3 {
            want += ["attention.probs", "attention.self", "attention", "intermediate", "output"].map { "encoder.layer.\(l).\($0)" }
        }
        XCTAssertEqual(Set(g.names), Set(want))
        XCTAssertEqual(g.metadata["format"], "bertkit-golden")
        XCTAssertEqual(g.metadata["version"], "1")
        XCTAssertEqual(g.metadata["source"], Repo.fixture("tiny-cls"))
        XCTAssertTrue(g.metadata["producer"]?.hasPrefix("bertkit ") == true)
        let recorded = try JSONSerialization.jsonObject(with: Data(g.metadata["texts"]!.utf8)) as! [Any]
        XCTAssertEqual(recorded[1] as? [String], ["Who won?", "Prices fell 3%."])
        XCTAssertEqual(recorded[0] as? String, texts[0])

        // The same inputs transformers' tokenizer made for the golden, and the same activations.
        let golden = try GoldenBytes(path: Repo.expected("tiny-cls.acts.safetensors"))
        for name in ["input_ids", "attention_mask", "token_type_ids"] {
            XCTAssertEqual(g.ints(name), golden.ints(name), name)
            XCTAssertEqual(g.shape(name), golden.shape(name), name)
        }
        assertClose(g.floats("classifier"), golden.floats("classifier"), atol: 1e-5, label: "logits")  // f32 vs PyTorch rounding

        // A model reproduces its own dump exactly.
        let again = try ToolRun.run(["verify", Repo.fixture("tiny-cls"), out, "--atol", "0", "--rtol", "0"])
        XCTAssertEqual(again.status, 0, again.stdout)
    }

    func testUnwritableOutputLeavesNothing() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["dump", Repo.fixture("tiny-bert"), "hello", "-o", dir + "/missing/acts.safetensors"])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertEqual(CLI.listing(dir), [])
    }
}
