import BertFormats
@testable import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// Bad tokenizer.json pipelines are refused, naming the node and field (formats/tokenizer.md §7).
final class PipelineBadInputTests: XCTestCase {
    /// The committed RoBERTa-like fixture, parsed, to be broken one field at a time.
    private func roberta() throws -> JSONObject {
        try JSONParser.parse(contentsOf: Repo.fixture("tokenizers/roberta-bpe/tokenizer.json")).objectValue!
    }

    private func xlmr() throws -> JSONObject {
        try JSONParser.parse(contentsOf: Repo.fixture("tokenizers/xlmr-unigram/tokenizer.json")).objectValue!
    }

    private func refused(_ root: JSONObject, path: String, saying words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try PipelineTokenizer(json: .object(root), file: "t.json"), file: file, line: line) { e in
            guard let p = e as? TokenizerPipelineError else { return XCTFail("not a TokenizerPipelineError: \(e)", file: file, line: line) }
            XCTAssertEqual(p.path, path, p.localizedDescription, file: file, line: line)
            XCTAssert(p.localizedDescription.contains(words), p.localizedDescription, file: file, line: line)
        }
    }

    private func set(_ o: inout JSONObject, _ path: [String], _ v: JSONValue?) {
        guard let k = path.first else { return }
        if path.count == 1 { o[k] = v; return }
        if case .object(var child) = o[k]! {
            set(&child, Array(path.dropFirst()), v)
            o[k] = .object(child)
        } else if case .array(var a) = o[k]!, let i = Int(path[1]) {
            if path.count == 2 { a[i] = v! } else {
                var child = a[i].objectValue!
                set(&child, Array(path.dropFirst(2)), v)
                a[i] = .object(child)
            }
            o[k] = .array(a)
        }
    }

    func testFixturesLoad() throws {
        for name in ["roberta-bpe", "xlmr-unigram", "albert-unigram"] {
            XCTAssertNoThrow(try PipelineTokenizer(tokenizerJSON: Repo.fixture("tokenizers/\(name)/tokenizer.json")), name)
        }
    }

    func testUnknownNodeTypes() throws {
        var r = try roberta()
        set(&r, ["pre_tokenizer", "type"], .string("UnicodeScripts"))
        refused(r, path: "pre_tokenizer.type", saying: "\"UnicodeScripts\"")
        r = try roberta()
        set(&r, ["decoder", "type"], .string("CTC"))
        refused(r, path: "decoder.type", saying: "\"CTC\"")
        r = try roberta()
        set(&r, ["model", "type"], .string("WordLevel"))
        refused(r, path: "model.type", saying: "\"WordLevel\"")
        var x = try xlmr()
        set(&x, ["normalizer", "normalizers", "0", "type"], .string("Nmt"))
        refused(x, path: "normalizer.normalizers.0.type", saying: "\"Nmt\"")
    }

    func testUnknownOptionIsRefused() throws {
        var r = try roberta()
        set(&r, ["pre_tokenizer", "use_unicode_scripts"], .bool(true))
        refused(r, path: "pre_tokenizer.use_unicode_scripts", saying: "does not implement")
        r = try roberta()
        r["extra_top_level"] = .null
        refused(r, path: "extra_top_level", saying: "does not implement")
    }

    func testBPEDropoutIsRefused() throws {
        var r = try roberta()
        set(&r, ["model", "dropout"], .double(0.1))
        refused(r, path: "model.dropout", saying: "dropout")
    }

    func testMergeWhoseResultIsNotInTheVocabulary() throws {
        var r = try roberta()
        let merges = r["model"]!.objectValue!["merges"]!.arrayValue!
        var vocab = r["model"]!.objectValue!["vocab"]!.objectValue!
        // Drop the token the first merge makes; move the last token into its id so ids stay 0..<n.
        let first = merges[0].arrayValue!.map { $0.stringValue! }.joined()
        let freed = vocab[first]!
        let last = vocab.entries.max { $0.value.intValue! < $1.value.intValue! }!
        vocab[first] = nil
        if last.key != first { vocab[last.key] = freed }
        set(&r, ["model", "vocab"], .object(vocab))
        refused(r, path: "model.merges.0", saying: "result \"\(first)\" is not in the vocabulary")
    }

    func testUnigramScoresMustBeFinite() throws {
        for bad: JSONValue in [.null, .number("1e999"), .string("NaN")] {
            var x = try xlmr()
            let vocab = x["model"]!.objectValue!["vocab"]!.arrayValue!
            set(&x, ["model", "vocab", "5"], .array([vocab[5].arrayValue![0], bad]))
            refused(x, path: "model.vocab.5.1", saying: "finite number")
        }
        // Python's json writes NaN, which is not JSON: the parser refuses it, naming the line.
        let text = "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"<unk>\", NaN]]}}"
        XCTAssertThrowsError(try JSONParser.parse(Array(text.utf8), file: "t.json")) { XCTAssert("\($0)".contains("NaN"), "\($0)") }
    }

    /// A charsmap whose trie offsets, or a leaf's string offset, lie outside the blob.
    func testCharsmapOffsetsOutsideTheBlob() throws {
        let x = try xlmr()
        let normalizers = x["normalizer"]!.objectValue!["normalizers"]!.arrayValue!
        let k = normalizers.firstIndex { $0.objectValue!["type"]!.stringValue == "Precompiled" }!
        let blob = Array(Data(base64Encoded: normalizers[k].objectValue!["precompiled_charsmap"]!.stringValue!)!)
        let size = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        func with(_ change: (inout [UInt8]) -> Void) -> JSONObject {
            var b = blob
            change(&b)
            var y = x
            set(&y, ["normalizer", "normalizers", "\(k)", "precompiled_charsmap"], .string(Data(b).base64EncodedString()))
            return y
        }
        let field = "normalizer.normalizers.\(k).precompiled_charsmap"
        // The trie size past the end of the blob.
        refused(with { $0[3] = 0x7F }, path: field, saying: "trie size")
        // The root unit's offset bits all set: it points far past the units.
        refused(with { b in for i in 5...7 { b[i] = 0xFF } }, path: field, saying: "outside the")
        // Every leaf value pointing past the normalized strings: set bits 0-30 of all units that
        // follow a leaf... simplest: shrink the strings to nothing by cutting the blob after the trie.
        refused(with { $0.removeSubrange((4 + size)...) }, path: field, saying: "of the normalized strings")
    }

    func testVocabAndMergesFilesBadLines() throws {
        let dir = Repo.temporaryDirectory()
        let src = Repo.fixture("tokenizers/roberta-bpe")
        try FileManager.default.copyItem(atPath: src + "/vocab.json", toPath: dir + "/vocab.json")
        try "#version: 0.2\nĠ t\nnot-a-merge\n".write(toFile: dir + "/merges.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PipelineTokenizer(vocabJSON: dir + "/vocab.json", merges: dir + "/merges.txt")) {
            XCTAssertEqual(($0 as? TokenizerPipelineError)?.path, "line 3", "\($0)")
        }
        try "Ġ zzzzzz\n".write(toFile: dir + "/merges.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PipelineTokenizer(vocabJSON: dir + "/vocab.json", merges: dir + "/merges.txt")) {
            XCTAssertEqual(($0 as? TokenizerPipelineError)?.path, "line 1", "\($0)")
            XCTAssert("\($0.localizedDescription)".contains("\"zzzzzz\" is not in the vocabulary"), "\($0)")
        }
    }
}
