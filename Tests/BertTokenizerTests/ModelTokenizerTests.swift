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

/// golden/expected/tokenizer-pipelines/model-inputs.json (golden/generate_tokenizer_model_inputs.py):
/// transformers' fast tokenizer on each pipeline fixture, as the model paths call it.
struct ModelInputsGolden: Decodable {
    struct Fields: Decodable {
        let input_ids: [Int]
        let token_type_ids: [Int]?
        let attention_mask: [Int]?
        let offsets: [[Int]]
        let special_tokens_mask: [Int]?
        let word_ids: [Int?]
        let sequence_ids: [Int?]
    }
    struct Pair: Decodable {
        let a: String, b: String, truncation: String, max_length: Int
        let error: String?
        let input_ids: [Int]?, token_type_ids: [Int]?, attention_mask: [Int]?, offsets: [[Int]]?, special_tokens_mask: [Int]?
        let word_ids: [Int?]?, sequence_ids: [Int?]?
    }
    struct Batch: Decodable { let texts: [String]; let rows: [Fields] }
    struct Windows: Decodable { let question: String, context: String, max_length: Int, stride: Int, windows: [Fields] }
    struct Decode: Decodable {
        struct Text: Decodable { let ids: [Int], skipped: String, kept: String }
        let single: [String]
        let texts: [Text]
    }
    struct Specials: Decodable { let roles: [String: [StringOrInt?]], all_special_ids: [Int] }
    enum StringOrInt: Decodable, Equatable {
        case string(String), int(Int)
        init(from d: Decoder) throws {
            let c = try d.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
        }
    }
    struct Fixture: Decodable { let pairs: [Pair], batch: Batch, windows: [Windows], decode: Decode, specials: Specials }

    static func load() throws -> [String: Fixture] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("tokenizer-pipelines/model-inputs.json")))
        return try JSONDecoder().decode([String: Fixture].self, from: data)
    }
}

extension ModelTokenizerTests {
    func testPairsTruncatedAndPaddedAsTheFastTokenizer() throws {
        for (name, g) in try ModelInputsGolden.load() {
            let t = try load(folder(name))
            var refused = 0
            for p in g.pairs {
                let label = "\(name) \(p.truncation) \(p.max_length): \(p.a) | \(p.b)"
                let options = EncodingOptions(maxLength: p.max_length, truncation: Truncation(rawValue: p.truncation)!, padding: .maxLength)
                guard p.error == nil else {
                    refused += 1
                    XCTAssertThrowsError(try t.encode([TextInput(p.a, pair: p.b)], options: options), label)
                    continue
                }
                let e = try t.encode([TextInput(p.a, pair: p.b)], options: options)[0]
                XCTAssertEqual(e.inputIds, p.input_ids, label)
                XCTAssertEqual(e.tokenTypeIds, p.token_type_ids, label)
                XCTAssertEqual(e.attentionMask, p.attention_mask, label)
                XCTAssertEqual(e.offsets.map { [$0.lowerBound, $0.upperBound] }, p.offsets, label)
                XCTAssertEqual(t.wordIds(e), p.word_ids, label)
                XCTAssertEqual(t.sequenceIds(e), p.sequence_ids, label)
                XCTAssertEqual(t.specialTokensMask(e), p.special_tokens_mask, label)
            }
            XCTAssertGreaterThan(refused, 0, "\(name): the golden has refusals (only_* too short)")
            XCTAssertGreaterThan(g.pairs.count - refused, 60, "\(name): most cases encode")
        }
    }

    func testBatchPaddedToTheLongest() throws {
        for (name, g) in try ModelInputsGolden.load() {
            let t = try load(folder(name))
            let rows = try t.encode(g.batch.texts.map { TextInput($0) }, options: EncodingOptions(padding: .longest))
            for (e, r) in zip(rows, g.batch.rows) {
                XCTAssertEqual(e.inputIds, r.input_ids, name)
                XCTAssertEqual(e.attentionMask, r.attention_mask, name)
                XCTAssertEqual(t.wordIds(e), r.word_ids, name)
                XCTAssertEqual(t.specialTokensMask(e), r.special_tokens_mask, name)
            }
        }
    }

    func testSpecialTokensAsTransformersResolvesThem() throws {
        for (name, g) in try ModelInputsGolden.load() {
            let t = try load(folder(name))
            let roles: [(String, ModelTokenizer.SpecialTokens.Token?)] = [
                ("cls_token", t.special.cls), ("sep_token", t.special.sep), ("pad_token", t.special.pad), ("unk_token", t.special.unk),
                ("mask_token", t.special.mask)]
            for (role, token) in roles {
                XCTAssertEqual(token.map { [.string($0.content), .int($0.id)] }, g.specials.roles[role], "\(name) \(role)")
            }
            XCTAssertEqual(t.allSpecialIds, Set(g.specials.all_special_ids), name)
        }
    }
}
