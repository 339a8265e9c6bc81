import BertFormats
import BertModel
import BertTokenizer
import TestSupport
import XCTest

/// Inputs a model must refuse, with messages naming where, and truncation of long texts.
final class InputTests: XCTestCase {
    let config = RandomBert.config(vocab: 40, positions: 16, types: 3)

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            XCTFail("expected an error")
        } catch {
            return (error as? LocalizedError)?.errorDescription ?? "\(error)"
        }
        return ""
    }

    func testTokenIdOutsideVocabularyNamesRowAndPosition() {
        let m = message { _ = try BertInput(rows: [[2, 3], [2, 40, 3]], config: config) }
        XCTAssertTrue(m.contains("row 1, position 1") && m.contains("40") && m.contains("vocab_size 40"), m)
        let neg = message { _ = try BertInput(rows: [[2, -1]], config: config) }
        XCTAssertTrue(neg.contains("row 0, position 1"), neg)
    }

    func testTokenTypeOutsideTypeVocabularyNamesRowAndPosition() {
        let m = message { _ = try BertInput(rows: [[2, 5, 3]], tokenTypes: [[0, 0, 3]], config: config) }
        XCTAssertTrue(m.contains("row 0, position 2") && m.contains("token type 3") && m.contains("type_vocab_size"), m)
    }

    func testSequenceLongerThanPositionsIsRefused() {
        let m = message { _ = try BertInput(rows: [[Int](repeating: 5, count: 17)], config: config) }
        XCTAssertTrue(m.contains("17 tokens") && m.contains("16 positions"), m)
    }

    func testMaskValuesOtherThanZeroOrOneAreRefused() {
        let m = message { _ = try BertInput(batch: 1, seq: 2, inputIds: [2, 3], attentionMask: [1, 2], config: config) }
        XCTAssertTrue(m.contains("row 0, position 1") && m.contains("attention_mask"), m)
    }

    func testLongTextIsTruncatedOrRefused() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-bert")))
        let tokenizer = try model.makeTokenizer()
        let long = String(repeating: "the quick brown fox ", count: 200)
        let e = try BertInput.encode([TextInput(long), TextInput("hello")], tokenizer: tokenizer, config: model.config)
        XCTAssertEqual(e.input.seq, model.config.maxPositionEmbeddings)
        XCTAssertEqual(e.truncated.map(\.row), [0])
        XCTAssertGreaterThan(e.truncated[0].tokens, model.config.maxPositionEmbeddings)
        XCTAssertEqual(e.input.inputIds[e.input.seq - 1], Int32(tokenizer.sepTokenId), "truncation keeps the final [SEP]")
        _ = try model.run(e.input)
        let m = message { _ = try BertInput.encode([TextInput(long)], tokenizer: tokenizer, config: model.config, truncate: false) }
        XCTAssertTrue(m.contains("text 1") && m.contains("over the model's limit"), m)
    }

    /// A pair too long for the positions is cut by the rule asked for (run, embed and dump take it):
    /// the first long pair of golden/expected/tokenizer/pairs.jsonl where the rules differ.
    func testLongPairIsCutByTheRule() throws {
        let tokenizer = ModelTokenizer(try BertTokenizer(folder: try Repo.requireMiniLM()))
        let path = Repo.expected("tokenizer/pairs.jsonl")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try JSONParser.parse(Array($0.utf8), file: path).objectValue! }
        let line = try XCTUnwrap(lines.first {
            $0["group"]?.stringValue == "long" && $0["truncation"]?.stringValue == "longest_first"
                && $0["side"]?.stringValue == "right" && $0["ids_rust"] != $0["ids_python"]
        })
        let config = RandomBert.config(vocab: tokenizer.vocabularySize, positions: line["max_length"]!.intValue!, types: 2)
        let input = [TextInput(line["a"]!.stringValue!, pair: line["b"]!.stringValue!)]
        for (rule, key) in [(TruncationRule.rust, "ids_rust"), (.python, "ids_python")] {
            let e = try BertInput.encode(input, tokenizer: tokenizer, config: config, rule: rule)
            XCTAssertEqual(e.input.inputIds.map(Int.init), line[key]!.arrayValue!.map { $0.intValue! }, "\(rule)")
        }
        let byDefault = try BertInput.encode(input, tokenizer: tokenizer, config: config)
        XCTAssertEqual(byDefault.input.inputIds.map(Int.init), line["ids_rust"]!.arrayValue!.map { $0.intValue! })
    }
}
