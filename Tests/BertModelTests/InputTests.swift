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
        XCTAssertTrue(m.contains("text 1") && m.contains("--no-truncate"), m)
    }
}
