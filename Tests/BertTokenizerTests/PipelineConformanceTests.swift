import BertFormats
@testable import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// tokenizer.json pipelines against the `tokenizers` library (golden/generate_tokenizer_pipelines.py):
/// every corpus text and extra text (2,094) and 300 pairs, ids, tokens, code-point offsets, type ids
/// and the decoded text must be identical.
final class PipelineConformanceTests: XCTestCase {
    func testRobertaBPE() throws { try check("roberta-bpe", try fixture("roberta-bpe")) }
    func testXLMRUnigram() throws { try check("xlmr-unigram", try fixture("xlmr-unigram")) }
    func testAlbertUnigram() throws { try check("albert-unigram", try fixture("albert-unigram")) }
    /// The ALBERT model fixtures' tokenizer.json (golden/generate_albert.py: AlbertTokenizer's rewrite of albert-unigram).
    func testAlbertFixtureTokenizer() throws {
        try check("albert-fixture", try PipelineTokenizer(tokenizerJSON: Repo.fixture("families/albert-model/safetensors/tokenizer.json")))
    }
    func testMiniLMWordPiece() throws {
        try check("minilm-wordpiece", try PipelineTokenizer(tokenizerJSON: try Repo.requireMiniLM() + "/tokenizer.json"))
    }
    /// WordPiece with RobertaProcessing (trim_offsets, <s> A </s></s> B </s>): the real all-mpnet-base-v2.
    func testMPNetWordPiece() throws {
        try check("mpnet-wordpiece", try PipelineTokenizer(tokenizerJSON: try Repo.requireMPNet() + "/tokenizer.json"))
    }

    /// vocab.json + merges.txt (RoBERTa without tokenizer.json) tokenize as the tokenizer.json does.
    func testVocabAndMergesFiles() throws {
        let dir = Repo.fixture("tokenizers/roberta-bpe")
        let slow = try PipelineTokenizer(vocabJSON: dir + "/vocab.json", merges: dir + "/merges.txt")
        try check("roberta-bpe", slow)
    }

    private func fixture(_ name: String) throws -> PipelineTokenizer {
        try PipelineTokenizer(tokenizerJSON: Repo.fixture("tokenizers/\(name)/tokenizer.json"))
    }

    private func check(_ name: String, _ tokenizer: PipelineTokenizer) throws { try checkPipeline(name, tokenizer) }
}

/// Every golden line of `name` (texts and pairs) against `tokenizer`; counts the differences by field.
func checkPipeline(_ name: String, _ tokenizer: PipelineTokenizer, file: StaticString = #filePath, line: UInt = #line) throws {
        let lines = try goldenLines("tokenizer-pipelines/\(name).jsonl")
        XCTAssertEqual(lines.count, 2094, "the corpus and the extra texts")
        var failures: [String] = [], differ = [String: Int]()
        for (n, line) in lines.enumerated() {
            let text = line["text"]!.stringValue!
            let e = try tokenizer.encode(text)
            let found = compare(e, line, decoded: tokenizer.decode(e.ids, skipSpecialTokens: true))
            for f in found { differ[f.0, default: 0] += 1 }
            if let f = found.first { failures.append("line \(n + 1) \"\(visible(text))\": \(f.0)\n    \(f.1)") }
        }
        let pairs = try goldenLines("tokenizer-pipelines/\(name)-pairs.jsonl")
        XCTAssertEqual(pairs.count, 300)
        for (n, line) in pairs.enumerated() {
            let e = try tokenizer.encode(line["a"]!.stringValue!, pair: line["b"]!.stringValue!)
            let found = compare(e, line, decoded: nil)
            for f in found { differ["pair " + f.0, default: 0] += 1 }
            if let f = found.first { failures.append("pair \(n + 1): \(f.0)\n    \(f.1)") }
        }
        XCTAssert(failures.isEmpty, "\(name): differences \(differ.sorted { $0.key < $1.key })\n" + failures.prefix(8).joined(separator: "\n"),
                  file: file, line: line)
}

private func compare(_ e: PipelineEncoding, _ line: JSONObject, decoded: String?) -> [(String, String)] {
        var out: [(String, String)] = []
        func field<T: Equatable>(_ name: String, _ got: [T], _ want: [T]) {
            let d = difference(got, want)
            if !d.isEmpty { out.append((name, d)) }
        }
        field("ids", e.ids, ints(line["ids"]))
        field("tokens", e.tokens.map(visible), line["tokens"]!.arrayValue!.map { visible($0.stringValue!) })
        field("offsets", e.offsets.map { [$0.lowerBound, $0.upperBound] }, line["offsets"]!.arrayValue!.map(ints))
        field("type_ids", e.typeIds, ints(line["type_ids"]))
        if let decoded, let want = line["decoded"]?.stringValue, decoded != want {
            out.append(("decoded", "bertkit \"\(visible(decoded))\", tokenizers \"\(visible(want))\""))
        }
        return out
}

/// SentencePiece model files read alone, against transformers 4.57.6's fast tokenizers built from
/// them (golden/generate_tokenizer_pipelines_spm.py).
final class SentencePieceModelTests: XCTestCase {
    func testXLMRobertaModelFile() throws {
        let tok = try PipelineTokenizer(sentencePieceModel: Repo.fixture("tokenizers/xlmr-unigram/sentencepiece.bpe.model"), family: .xlmRoberta)
        try checkPipeline("xlmr-spm-model", tok)
    }

    func testAlbertModelFile() throws {
        let tok = try PipelineTokenizer(sentencePieceModel: Repo.fixture("tokenizers/albert-unigram/spiece.model"),
                                        family: .albert(lowercase: true, keepAccents: false))
        try checkPipeline("albert-spm-model", tok)
    }

    func testBadModelFiles() throws {
        let dir = Repo.temporaryDirectory()
        try Data("not a protobuf \u{1}\u{2}".utf8).write(to: URL(fileURLWithPath: dir + "/bad.model"))
        XCTAssertThrowsError(try PipelineTokenizer(sentencePieceModel: dir + "/bad.model", family: .xlmRoberta)) {
            XCTAssert("\($0.localizedDescription)".contains("not a SentencePiece model"), "\($0)")
        }
        var proto = try Sentencepiece_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: Repo.fixture("tokenizers/xlmr-unigram/sentencepiece.bpe.model"))))
        proto.pieces[7].score = .nan
        try proto.serializedData().write(to: URL(fileURLWithPath: dir + "/nan.model"))
        XCTAssertThrowsError(try PipelineTokenizer(sentencePieceModel: dir + "/nan.model", family: .xlmRoberta)) {
            XCTAssertEqual(($0 as? TokenizerPipelineError)?.path, "pieces.7.score", "\($0)")
        }
        proto = try Sentencepiece_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: Repo.fixture("tokenizers/xlmr-unigram/sentencepiece.bpe.model"))))
        proto.normalizerSpec.precompiledCharsmap = proto.normalizerSpec.precompiledCharsmap.prefix(40)
        try proto.serializedData().write(to: URL(fileURLWithPath: dir + "/cut.model"))
        XCTAssertThrowsError(try PipelineTokenizer(sentencePieceModel: dir + "/cut.model", family: .xlmRoberta)) {
            XCTAssertEqual(($0 as? TokenizerPipelineError)?.path, "normalizer_spec.precompiled_charsmap", "\($0)")
        }
    }
}
