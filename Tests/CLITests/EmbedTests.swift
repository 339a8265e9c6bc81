import Foundation
import TestSupport
import XCTest

final class EmbedTests: XCTestCase {
    func testMiniLMMatchesSentenceTransformers() throws {
        let golden = try GoldenBytes(path: Repo.expected("minilm.acts.safetensors"))
        let texts = try JSONSerialization.jsonObject(with: Data(golden.metadata["texts"]!.utf8)) as! [String]
        let r = try ToolRun.run(["embed", try Repo.requireMiniLM()] + texts + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = CLI.json(r.stdout)
        XCTAssertEqual(o["pooling"] as? String, "mean + normalize")
        XCTAssertEqual(o["dimension"] as? Int, 384)
        let got = (o["embeddings"] as! [[Double]]).flatMap { $0.map(Float.init) }
        // sentence-transformers' own encode (sdpa attention) vs bertkit: f32 rounding (~2e-7 measured).
        assertClose(got, golden.floats("sentence_embedding"), atol: 1e-5, label: "sentence embeddings")
    }

    func testModelWithoutPoolingFilesGetsMeanPoolingAndANote() throws {
        let r = try ToolRun.run(["embed", Repo.fixture("tiny-bert"), "hello world"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("using mean pooling"), r.stderr)
        XCTAssertTrue(r.stdout.contains("1 embedding of 32 values (mean)"), r.stdout)
    }
}
