import BertFormats
@testable import BertModel
import XCTest

/// ELECTRA's heads take their dropout from different keys (modeling_electra.py): ElectraClassificationHead
/// `classifier_dropout` (else hidden_dropout_prob) before both Linears; ElectraSequenceSummary (multiple
/// choice) `summary_first_dropout` before its dense and `summary_last_dropout` after its activation.
final class ElectraDropoutTests: XCTestCase {
    private func config(_ extra: String) throws -> BertConfig {
        let text = #"{"model_type": "electra", "vocab_size": 30, "hidden_size": 8, "embedding_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "hidden_dropout_prob": 0.2\#(extra)}"#
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: "config.json") else { fatalError() }
        return try BertConfig(json: o, file: "config.json")
    }

    func testEachHeadReadsItsOwnDropoutKeys() throws {
        let c = try config(#", "classifier_dropout": 0.3, "summary_last_dropout": 0.4"#)
        let mc = DropoutRates(config: c, head: .multipleChoice)
        XCTAssertEqual([mc.rate(.classifier), mc.rate(.classifierDense)], [0, 0.4], "summary_first_dropout absent: none before the summary")
        let sc = DropoutRates(config: c, head: .sequenceClassification)
        XCTAssertEqual([sc.rate(.classifier), sc.rate(.classifierDense)], [0.3, 0.3])
        let first = DropoutRates(config: try config(#", "summary_first_dropout": 0.25"#), head: .multipleChoice)
        XCTAssertEqual([first.rate(.classifier), first.rate(.classifierDense)], [0.25, 0.1], "summary_last_dropout's default 0.1")
        // The masks follow: the embeddings' site is embedding_size wide; no site at a zero rate.
        let masks = DropoutMasks(config: c, batch: 2, seq: 3, rates: mc, head: .multipleChoice)
        XCTAssertEqual(masks.sites.first { $0.site == .embeddings }?.count, 2 * 3 * 4)
        XCTAssertNil(masks.mask(.classifier))
        XCTAssertEqual(masks.mask(.classifierDense)?.count, 2 * 8)
    }
}
