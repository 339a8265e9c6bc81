import Foundation
import TestSupport
import XCTest

/// `bertkit tokenize` on folders that hold only another family's tokenizer files (the fixtures of
/// golden/generate_tokenizer_pipelines.py): ids and offsets as `tokenizers` gives them
/// (golden/expected/tokenizer-pipelines/*.jsonl), from tokenizer.json and from the slow files alone.
final class TokenizePipelineTests: XCTestCase {
    func golden(_ file: String) throws -> [[String: Any]] {
        try String(contentsOfFile: Repo.expected("tokenizer-pipelines/" + file), encoding: .utf8).split(separator: "\n").prefix(60).map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// A folder with the named files of a fixture only.
    func folder(_ fixture: String, _ names: [String]) throws -> String {
        let dir = Repo.temporaryDirectory() + "/" + fixture
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for n in names { try FileManager.default.copyItem(atPath: Repo.fixture("tokenizers/\(fixture)/\(n)"), toPath: dir + "/" + n) }
        return dir
    }

    func check(_ dir: String, _ goldenFile: String, config: String? = nil) throws {
        if let config { try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer_config.json")) }
        let lines = try golden(goldenFile)
        let input = Repo.temporaryDirectory() + "/texts.jsonl"
        try Data(lines.map { l in
            String(data: try! JSONSerialization.data(withJSONObject: ["text": l["text"]!]), encoding: .utf8)!
        }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: input))
        let r = try ToolRun.run(["tokenize", dir, "--jsonl", input])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.stdout.split(separator: "\n")
        XCTAssertEqual(out.count, lines.count)
        for (o, g) in zip(out, lines) {
            let e = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(o.utf8)) as? [String: Any])
            XCTAssertEqual(e["input_ids"] as? [Int], g["ids"] as? [Int], "\(dir): \(g["text"]!)")
            XCTAssertEqual(e["offsets"] as? [[Int]], g["offsets"] as? [[Int]], "\(dir): \(g["text"]!)")
            XCTAssertEqual(e["tokens"] as? [String], g["tokens"] as? [String], "\(dir): \(g["text"]!)")
        }
    }

    func testTokenizerJSONFolders() throws {
        try check(try folder("roberta-bpe", ["tokenizer.json"]), "roberta-bpe.jsonl")
        try check(try folder("xlmr-unigram", ["tokenizer.json"]), "xlmr-unigram.jsonl")
        try check(try folder("albert-unigram", ["tokenizer.json"]), "albert-unigram.jsonl")
    }

    /// Without tokenizer.json: RoBERTa's vocab.json + merges.txt (RobertaConverter), XLM-R's and
    /// ALBERT's SentencePiece models (the converters of transformers 4.57, whose goldens these are).
    func testSlowFilesAlone() throws {
        try check(try folder("roberta-bpe", ["vocab.json", "merges.txt"]), "roberta-bpe.jsonl",
                  config: #"{"tokenizer_class": "RobertaTokenizer"}"#)
        try check(try folder("xlmr-unigram", ["sentencepiece.bpe.model"]), "xlmr-spm-model.jsonl",
                  config: #"{"tokenizer_class": "XLMRobertaTokenizer"}"#)
        try check(try folder("albert-unigram", ["spiece.model"]), "albert-spm-model.jsonl",
                  config: #"{"tokenizer_class": "AlbertTokenizer", "do_lower_case": true, "keep_accents": false}"#)
    }

    /// tokenizer.json wins over the slow files for every family but BERT; a broken one is refused by
    /// its node and field, exit 2, nothing printed.
    func testTokenizerJSONFirstAndItsErrorsNamed() throws {
        let dir = try folder("roberta-bpe", ["vocab.json", "merges.txt"])
        try Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": {"type": "Rot13"}}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        try Data(#"{"tokenizer_class": "RobertaTokenizer"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer_config.json"))
        let r = try ToolRun.run(["tokenize", dir, "hello"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "")
        XCTAssert(r.stderr.contains("tokenizer.json") && r.stderr.contains("normalizer.type") && r.stderr.contains("Rot13"), r.stderr)
    }
}
