import BertFormats
import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// Token classification's training data and a fine-tuned model's export, against
/// golden/generate_ner_training.py (run_ner.py's labels; transformers reading bertkit's folder).
final class TokenClassificationTrainingTests: XCTestCase {
    struct Alignment: Decodable {
        struct Case: Decodable {
            let words, tags: [String]
            let max_length: Int
            let input_ids, labels, labels_all_tokens: [Int]
        }
        let labels: [String]
        let cases: [Case]
    }

    func testSubwordLabelsFollowRunNER() throws {
        let golden = try JSONDecoder().decode(Alignment.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.golden("expected/ner/alignment.json"))))
        let tokenizer = ModelTokenizer(try BertTokenizer(folder: try Repo.requireMiniLM()))
        XCTAssertEqual(golden.cases.count, 30)
        for c in golden.cases {
            let s = TaggedSentence(words: c.words, tags: c.tags.map { golden.labels.firstIndex(of: $0)! }, line: 1)
            for (all, want) in [(false, c.labels), (true, c.labels_all_tokens)] {
                let e = try TokenClassificationEncoder(tokenizer: tokenizer, labels: golden.labels, maxLength: c.max_length, labelAllTokens: all)
                    .encode(s)
                XCTAssertEqual(e.ids, c.input_ids, "\(c.words) at \(c.max_length)")
                XCTAssertEqual(e.labels, want, "\(c.words) at \(c.max_length), label_all_tokens \(all)")
                // Each word's first sub-token is where its label is (nil: cut off by truncation).
                for (w, p) in e.firstToken.enumerated() {
                    if let p { XCTAssertEqual(c.labels[p], s.tags[w]) }
                }
            }
        }
    }

    func testBatchesPadLabelsWithTheIgnoreIndex() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-tokcls")))
        let labels = model.config.id2label
        let sentences = [TaggedSentence(words: ["the", "cat"], tags: [0, 1], line: 1), TaggedSentence(words: ["a"], tags: [0], line: 2)]
        let source = try TokenClassificationBatchSource(sentences: sentences, labels: labels, model: model, maxLength: 16, labelAllTokens: false)
        let b = try source.batch(rows: [0, 1], step: 1)
        XCTAssertEqual(b.input.batch, 2)
        guard case .tokenLabels(let y) = b.targets else { return XCTFail("\(b.targets)") }
        XCTAssertEqual(y.count, 2 * b.input.seq)
        XCTAssertEqual(Array(y[b.input.seq...]).filter { $0 != -100 }, [0], "the second row: one word, the rest ignored")
        XCTAssertEqual(y[0], -100, "[CLS]")
        XCTAssertEqual(y[b.input.seq + 1], 0, "the second row's word right after its [CLS]; the padding after it")
    }

    struct Export: Decodable {
        let id2label, missing_keys, unexpected_keys, mismatched_keys: [String]
        let input_ids, attention_mask: [[Int]]
        let logits: [[[Float]]]
    }

    /// golden/fixtures/ner-finetuned is the HF folder `bertkit finetune --task token-classification`
    /// wrote; transformers loads it with nothing missing and gives these logits.
    func testFineTunedExportGivesTransformersLogits() throws {
        let g = try JSONDecoder().decode(Export.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.golden("expected/ner/export.json"))))
        XCTAssertEqual(g.missing_keys + g.unexpected_keys + g.mismatched_keys, [], "transformers loads every tensor, and only those")
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("ner-finetuned")))
        XCTAssertEqual(model.head, .tokenClassification)
        XCTAssertEqual(model.config.id2label, g.id2label)
        let b = g.input_ids.count, s = g.input_ids[0].count
        let input = try BertInput(batch: b, seq: s, inputIds: g.input_ids.flatMap { $0 }, attentionMask: g.attention_mask.flatMap { $0 },
                                  config: model.config)
        let logits = try model.run(input).logits!
        // Padded positions too (transformers computes them the same way). f32 on both sides with other
        // summation orders: 1e-5 of logits of size ~1–10 is a few ulps.
        assertClose(logits, g.logits.flatMap { $0.flatMap { $0 } }, shape: [b, s, g.id2label.count], atol: 1e-5, rtol: 1e-5,
                    label: "logits of the exported NER model")
    }
}
