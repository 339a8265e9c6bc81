import Foundation
import TestSupport
import XCTest

final class EmbedTests: XCTestCase {
    private func embed(_ model: String, _ texts: [String], _ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line)
        throws -> (values: [Float], o: [String: Any], stderr: String) {
        let r = try ToolRun.run(["embed", model] + texts + ["--json"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let o = CLI.json(r.stdout, file: file, line: line)
        return ((o["embeddings"] as? [[Double]] ?? []).flatMap { $0.map(Float.init) }, o, r.stderr)
    }

    func testMiniLMMatchesSentenceTransformers() throws {
        let golden = try GoldenBytes(path: Repo.expected("minilm.acts.safetensors"))
        let texts = try JSONSerialization.jsonObject(with: Data(golden.metadata["texts"]!.utf8)) as! [String]
        let (got, o, _) = try embed(try Repo.requireMiniLM(), texts)
        XCTAssertEqual(o["pooling"] as? String, "mean + normalize")
        XCTAssertEqual(o["dimension"] as? Int, 384)
        // sentence-transformers' own encode (sdpa attention) vs bertkit: f32 rounding (~2e-7 measured).
        assertClose(got, golden.floats("sentence_embedding"), atol: 1e-5, label: "sentence embeddings")
    }

    /// golden/expected/st/minilm-long.safetensors: 20 of its 24 texts are longer than MiniLM's
    /// max_seq_length (256). The .bkm must cut them there too, as sentence-transformers does.
    func testMiniLMLongTextsFromTheFolderAndItsBKMMatchSentenceTransformers() throws {
        let dir = try Repo.requireMiniLM(), tmp = Repo.temporaryDirectory()
        let golden = try GoldenBytes(path: Repo.expected("st/minilm-long.safetensors"))
        let texts = try JSONSerialization.jsonObject(with: Data(golden.metadata["texts"]!.utf8)) as! [String]
        XCTAssertEqual(golden.ints("token_counts").filter { $0 > 256 }.count, 20)
        XCTAssertEqual(try ToolRun.run(["convert", dir, tmp + "/m.bkm"]).status, 0)
        let folder = try embed(dir, texts), bkm = try embed(tmp + "/m.bkm", texts)
        // Same bits in, same code: the .bkm gives exactly the folder's embeddings.
        XCTAssertEqual(bkm.values, folder.values)
        XCTAssertTrue(bkm.stderr.contains("truncated to 256"), bkm.stderr)
        // f32 rounding against sentence-transformers' encode (1.8e-7 measured; 512 tokens gave 0.114).
        assertClose(bkm.values, golden.floats("sentence_embedding"), atol: 1e-5, label: "MiniLM .bkm, long texts")
    }

    /// golden/fixtures/tiny-st-dense: prompt left out of the pooling, two Dense modules (Tanh with
    /// bias, Identity without), Normalize, max_seq_length 16, do_lower_case, truncate_dim 12.
    func testTinyDenseModelFromTheFolderAndItsBKMMatchesSentenceTransformers() throws {
        let dir = Repo.fixture("tiny-st-dense"), tmp = Repo.temporaryDirectory()
        let golden = try GoldenBytes(path: Repo.expected("st/tiny-st-dense.safetensors"))
        let texts = try JSONSerialization.jsonObject(with: Data(golden.metadata["texts"]!.utf8)) as! [String]
        XCTAssertEqual(try ToolRun.run(["convert", dir, tmp + "/m.bkm"]).status, 0)
        for model in [dir, tmp + "/m.bkm"] {
            let query = try embed(model, texts)
            XCTAssertEqual(query.o["dimension"] as? Int, 12)
            XCTAssertEqual(query.o["pooling"] as? String, "mean (prompt excluded) + dense 32→24 tanh + dense 24→16 + normalize")
            // f32 vs torch's f32 through 2 layers and 2 Dense (2e-7 measured).
            assertClose(query.values, golden.floats("query"), atol: 1e-5, label: "\(model) default prompt")
            let passage = try embed(model, texts, ["--prompt-name", "passage"])
            assertClose(passage.values, golden.floats("passage"), atol: 1e-5, label: "\(model) passage prompt")
        }
        let r = try ToolRun.run(["embed", dir, "hello", "--prompt-name", "classification"])
        CLI.assertBadInput(r, names: ["no prompt named \"classification\"", "passage, query"])
    }

    func testModelWithoutPoolingFilesGetsMeanPoolingAndANote() throws {
        let r = try ToolRun.run(["embed", Repo.fixture("tiny-bert"), "hello world"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("using mean pooling"), r.stderr)
        XCTAssertTrue(r.stdout.contains("1 embedding of 32 values (mean)"), r.stdout)
    }
}
