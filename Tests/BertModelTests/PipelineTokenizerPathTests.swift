import BertFormats
@testable import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// The model paths with a pipeline tokenizer (RoBERTa's byte-level BPE, XLM-R's and ALBERT's
/// Unigram), against golden/expected/tokenizer-pipelines/model-inputs.json
/// (golden/generate_tokenizer_model_inputs.py, transformers' fast tokenizer).
final class PipelineTokenizerPathTests: XCTestCase {
    static let fixtures = ["roberta-bpe", "xlmr-unigram", "albert-unigram"]

    func tokenizer(_ name: String) throws -> ModelTokenizer {
        let folder = Repo.fixture("tokenizers/" + name)
        let files = TokenizerFiles(folder: folder)
        let (v, s) = try XCTUnwrap(try files.read())
        return try XCTUnwrap(try ModelTokenizer(vocabulary: v, settings: s, files: try files.verbatim(), modelType: nil, source: folder))
    }

    func golden() throws -> JSONObject {
        try XCTUnwrap(try JSONParser.parse(contentsOf: Repo.expected("tokenizer-pipelines/model-inputs.json")).objectValue)
    }

    func ints(_ v: JSONValue?) -> [Int?] { v?.arrayValue?.map(\.intValue) ?? [] }

    /// The question-answering pipeline's (and run_qa's) overflow windows: `<s> q </s></s> c </s>` for
    /// RoBERTa and XLM-R, `[CLS] q [SEP] c [SEP]` for ALBERT, each window's word and sequence ids.
    func testQuestionAnsweringWindowsAsTheFastTokenizer() throws {
        let g = try golden()
        for name in Self.fixtures {
            let t = try tokenizer(name)
            let cases = try XCTUnwrap(g[name]?.objectValue?["windows"]?.arrayValue)
            var many = 0
            for c in cases.map({ $0.objectValue! }) {
                let input = QuestionContext(question: c["question"]!.stringValue!, context: c["context"]!.stringValue!)
                let want = c["windows"]!.arrayValue!.map { $0.objectValue! }
                let got = try QuestionAnswering.windows(input, tokenizer: t, maxSeqLen: c["max_length"]!.intValue!, docStride: c["stride"]!.intValue!)
                XCTAssertEqual(got.count, want.count, "\(name): \(input.question)")
                if want.count > 1 { many += 1 }
                for (w, x) in zip(got, want) {
                    XCTAssertEqual(w.inputIds, ints(x["input_ids"]).map { $0! }, name)
                    XCTAssertEqual(w.wordIds, ints(x["word_ids"]), name)
                    XCTAssertEqual(w.offsets.map { [$0.lowerBound, $0.upperBound] }, x["offsets"]!.arrayValue!.map { ints($0).map { $0! } }, name)
                    let sequence = ints(x["sequence_ids"])
                    XCTAssertEqual(Array(w.context), sequence.indices.filter { sequence[$0] == 1 }, name)
                }
            }
            XCTAssertGreaterThan(many, 0, "\(name): some contexts need several windows")
        }
    }

    /// `tokenizer.decode` with the tokenizer.json's decoder: one id (fill-mask's token_str) and a
    /// whole text with and without the special tokens (its sequence).
    func testDecodeAsTransformers() throws {
        let g = try golden()
        for name in Self.fixtures {
            let d = TokenDecoder(tokenizer: try tokenizer(name))
            let decode = try XCTUnwrap(g[name]?.objectValue?["decode"]?.objectValue)
            for (i, s) in decode["single"]!.arrayValue!.enumerated() { XCTAssertEqual(d.decode([i]), s.stringValue!, "\(name) id \(i)") }
            for t in decode["texts"]!.arrayValue!.map({ $0.objectValue! }) {
                let ids = ints(t["ids"]).map { $0! }
                XCTAssertEqual(d.decode(ids, skipSpecialTokens: true), t["skipped"]!.stringValue!, name)
                XCTAssertEqual(d.decode(ids), t["kept"]!.stringValue!, name)
            }
        }
    }

    /// transformers' token-classification pipeline finds sub-words by length only when the model has
    /// a continuing_subword_prefix (WordPiece); byte-level BPE and Unigram use its space heuristic,
    /// and the words of groups come from the tokenizer.json decoder (no Ġ or ▁ left in them).
    func testTokenClassificationFindsWordsAsThePipelineDoes() throws {
        let text = "Wolfgang lives in Berlinerstadt today"
        for name in Self.fixtures {
            let t = try tokenizer(name)
            var post = TokenClassification(labels: ["O", "B-X", "I-X"], aggregation: .first)
            post.use(t)
            guard case .bySpaces = post.subwords else { return XCTFail("\(name): expected the space heuristic") }
            let e = try t.encode(text)
            let chars = Array(text.unicodeScalars)
            let pre = post.preEntities(text: text, encoding: e, logits: ArraySlice([Float](repeating: 0, count: e.count * 3)), unkTokenId: t.unkTokenId)
            XCTAssertEqual(pre.count, e.count - 2, "\(name): the special tokens are skipped")
            for p in pre {
                let s = p.start
                XCTAssertEqual(p.isSubword, s > 0 && chars[s - 1] != " " && chars[s] != " ", "\(name) \(p.word) at \(s)")
            }
            // Everything labelled X: one group per word-run, its word decoded.
            var logits = [Float](repeating: 0, count: e.count * 3)
            for i in 0..<e.count { logits[i * 3 + (i == 1 ? 1 : 2)] = 5 }
            post.aggregation = .simple
            let groups = post.entities(text: text, encoding: e, logits: ArraySlice(logits), unkTokenId: t.unkTokenId)
            XCTAssertEqual(groups.count, 1, "\(name)")
            XCTAssertFalse(groups[0].word.contains("Ġ") || groups[0].word.contains("▁"), "\(name): \(groups[0].word)")
            XCTAssertEqual(groups[0].start, 0)
        }
        var bert = TokenClassification(labels: ["O"])
        bert.use(ModelTokenizer(try BertTokenizer(folder: Repo.fixture("tiny-cls"))))
        guard case .byLength = bert.subwords else { return XCTFail("WordPiece: expected the length rule") }
    }
}
