import BertFormats
@testable import BertModel
import XCTest

/// The embeddings variant each family's input takes (BertInput.positionIds).
final class FamilyInputTests: XCTestCase {
    private func config(_ type: String, positions: Int = 8) throws -> BertConfig {
        let text = #"{"model_type": "\#(type)", "vocab_size": 30, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 4, "max_position_embeddings": \#(positions), "type_vocab_size": 1}"#
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: "config.json") else { fatalError() }
        return try BertConfig(json: o, file: "config.json")
    }

    /// modeling_roberta.py `create_position_ids_from_input_ids`: cumsum(ids != pad) · (ids != pad) + pad.
    func testRobertaPositionsCountFromThePaddingId() throws {
        let c = try config("roberta")
        let input = try BertInput(rows: [[0, 5, 6, 2], [0, 7, 2]], config: c)  // pad 1 on the right of row 1
        XCTAssertEqual(input.positionIds, [2, 3, 4, 5, 2, 3, 4, 1])
        // A padding id inside a row reads row pad too, and the count skips it (as transformers does).
        let inner = try BertInput(rows: [[0, 1, 9, 2]], config: c)
        XCTAssertEqual(inner.positionIds, [2, 1, 3, 4])
        XCTAssertEqual(try BertInput(rows: [[0, 5, 6, 2]], config: try config("bert")).positionIds, [0, 1, 2, 3])
    }

    func testARobertaRowPastItsPositionsIsRefusedWithTheNumbers() throws {
        let c = try config("xlm-roberta")  // 8 rows − pad 1 − 1 = 6 tokens
        XCTAssertNoThrow(try BertInput(rows: [[0, 4, 4, 4, 4, 2]], config: c))
        XCTAssertThrowsError(try BertInput(rows: [[0, 4, 4, 4, 4, 4, 2]], config: c)) { e in
            XCTAssertEqual(e as? ModelError, .sequenceTooLong(length: 7, maxPositions: 6, why: "max_position_embeddings 8 − pad_token_id 1 − 1: XLM-RoBERTa positions start after the padding id"))
        }
    }

    /// nn.Embedding(padding_idx=pad) on RoBERTa's position table: a token at the padding position adds
    /// nothing to row pad (end to end its gradient is 0 anyway: nothing reads a padded token), BERT's
    /// table has no padding row. The op alone, as llm.c tests ops before models.
    func testThePositionTablesPaddingRowGetsNoGradient() {
        let h = 2
        var dword = [Float](repeating: 0, count: 4 * h), dpos = [Float](repeating: 0, count: 4 * h), dtype = [Float](repeating: 0, count: h)
        let dout: [Float] = [1, 2, 3, 4, 5, 6], ids: [Int32] = [0, 3, 1], types: [Int32] = [0, 0, 0], positions: [Int32] = [2, 3, 1]
        for paddingPosition in [1, nil] as [Int?] {
            dword = dword.map { _ in 0 }; dpos = dpos.map { _ in 0 }; dtype = dtype.map { _ in 0 }
            embeddingsBackward(dword: &dword, dposition: &dpos, dtype: &dtype, dout: dout, ids: ids, types: types, positions: positions,
                               tokens: 3, hidden: h, paddingId: 1, paddingPosition: paddingPosition)
            XCTAssertEqual(Array(dpos[2 * h..<4 * h]), [1, 2, 3, 4])
            XCTAssertEqual(Array(dpos[h..<2 * h]), paddingPosition == nil ? [5, 6] : [0, 0], "row pad")
            XCTAssertEqual(Array(dword[h..<2 * h]), [0, 0], "the padding id's word row")
            XCTAssertEqual(dtype, [9, 12])
        }
    }
}
