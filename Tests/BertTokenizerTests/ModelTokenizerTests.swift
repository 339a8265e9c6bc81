import BertFormats
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// `ModelTokenizer` on the tokenizer fixtures of golden/generate_tokenizer_pipelines.py: the file
/// order of `TokenizerFiles`, the special tokens by role, and encodings equal to `tokenizers`'
/// (golden/expected/tokenizer-pipelines/*.jsonl).
final class ModelTokenizerTests: XCTestCase {
    func folder(_ name: String) -> String { Repo.fixture("tokenizers/" + name) }

    func load(_ folder: String, modelType: String? = nil) throws -> ModelTokenizer {
        let files = TokenizerFiles(folder: folder, modelType: modelType)
        let (vocabulary, settings) = try XCTUnwrap(try files.read())
        return try XCTUnwrap(try ModelTokenizer(vocabulary: vocabulary, settings: settings, files: try files.verbatim(),
                                                modelType: files.modelType, source: folder))
    }

    struct Line: Decodable {
        let text: String
        let ids: [Int]
        let offsets: [[Int]]
        let decoded: String?
    }

    func golden(_ name: String, limit: Int = 400) throws -> [Line] {
        let url = URL(fileURLWithPath: Repo.root + "/golden/expected/tokenizer-pipelines/" + name)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").prefix(limit)
        return try lines.map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    func testEachFamilyFolderEncodesAsTokenizers() throws {
        for (fixture, file) in [("roberta-bpe", "roberta-bpe.jsonl"), ("xlmr-unigram", "xlmr-unigram.jsonl"), ("albert-unigram", "albert-unigram.jsonl")] {
            let t = try load(folder(fixture))
            guard case .pipeline = t.backend else { return XCTFail("\(fixture): not a pipeline tokenizer") }
            for g in try golden(file) {
                let e = try t.encode(g.text)
                XCTAssertEqual(e.inputIds, g.ids, "\(fixture): \(g.text)")
                XCTAssertEqual(e.offsets.map { [$0.lowerBound, $0.upperBound] }, g.offsets, "\(fixture): \(g.text)")
                XCTAssertEqual(t.specialTokensMask(e).count, e.count)
            }
        }
    }

    func testSpecialTokensByRole() throws {
        let r = try load(folder("roberta-bpe"))
        XCTAssertEqual([r.special.cls.content, r.special.sep.content, r.special.pad.content, r.special.mask?.content, r.special.unk?.content],
                       ["<s>", "</s>", "<pad>", "<mask>", "<unk>"])
        let x = try load(folder("xlmr-unigram"))
        XCTAssertEqual([x.clsTokenId, x.padTokenId, x.sepTokenId, x.unkTokenId], [0, 1, 2, 3])  // fairseq's ids
        let a = try load(folder("albert-unigram"))
        XCTAssertEqual([a.special.cls.content, a.special.sep.content, a.special.pad.content, a.special.mask?.content],
                       ["[CLS]", "[SEP]", "<pad>", "[MASK]"])
    }
}
