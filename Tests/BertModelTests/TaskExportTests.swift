import BertFormats
import BertModel
import BertTensors
import Foundation
import TestSupport
import XCTest

/// Masked-LM and multiple-choice models that `bertkit finetune` trained and exported as HF folders
/// (golden/fixtures/mlmmc/, by golden/check_mlmmc_exports.py) give transformers' outputs when
/// transformers loads them (expected/mlmmc/exports.safetensors) — and bertkit's own, here.
final class TaskExportTests: XCTestCase {
    var g: SafeTensorsFile { get throws { try SafeTensorsFile.read(path: Repo.expected("mlmmc/exports.safetensors")) } }

    func fixture(_ task: String) -> String { Repo.fixture("mlmmc/\(task)-finetuned") }

    func loadedCleanly(_ task: String) throws {
        let meta = try g.metadataDictionary
        let loading = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(meta["\(task).loading"]!.utf8)) as? [String: [String]])
        XCTAssertTrue(Set(["missing_keys", "unexpected_keys", "mismatched_keys"]).isSubset(of: loading.keys), "\(loading)")
        for (k, v) in loading { XCTAssertEqual(v, [], "\(task): transformers' \(k)") }
        let changed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(meta["\(task).changed"]!.utf8)) as? [String])
        XCTAssertFalse(changed.isEmpty, "\(task): the fixture was fine-tuned")
        XCTAssertEqual(try FileDigest.sha256(path: fixture(task) + "/model.safetensors"), meta["\(task).sha256"], "\(task): the record is of this fixture")
    }

    func testMaskedLMExportGivesTransformersOutputs() throws {
        try loadedCleanly("masked-lm")
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: fixture("masked-lm")))
        XCTAssertEqual(model.head, .maskedLM)
        let e = try SafeTensorsFile.read(path: Repo.expected("mlmmc/mlm-eval.safetensors"))
        let ids = e["input_ids"]!.integers()!.map(Int.init), mask = e["attention_mask"]!.integers()!.map(Int.init)
        let labels = e["labels"]!.integers()!.map(Int.init)
        let input = try BertInput(batch: 12, seq: ids.count / 12, inputIds: ids, attentionMask: mask, config: model.config)
        let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
        try model.forward(input, into: buffers)
        let logits = model.maskedLMLogits(buffers, tokens: labels.indices.filter { labels[$0] != -100 })
        // The fill-mask goldens' tolerance: f32 forwards by different kernels.
        assertClose(logits, try g["masked-lm.logits"]!.floats(), atol: 1e-5, rtol: 1e-5, label: "exported masked-LM logits")
    }

    func testMultipleChoiceExportGivesTransformersOutputs() throws {
        try loadedCleanly("multiple-choice")
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: fixture("multiple-choice")))
        XCTAssertEqual(model.head, .multipleChoice)
        let rows = try MultipleChoiceRows(MultipleChoiceDataset(contentsOf: Repo.golden("data/multiple-choice/test.csv")), model: model, maxLength: 32)
        let (input, _) = try rows.batch(Array(0..<4), config: model.config)
        let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
        buffers.choices = 4
        try model.forward(input, into: buffers)
        let logits = Array(UnsafeBufferPointer(start: buffers.logits!, count: 16))
        assertClose(logits, try g["multiple-choice.logits"]!.floats(), atol: 1e-5, rtol: 1e-5, label: "exported multiple-choice logits")
        let m = try MultipleChoiceEvaluation.run(model: model, data: rows)
        let loss = Double(try g.metadataDictionary["multiple-choice.loss"]!)!
        XCTAssertEqual(m.loss, loss, accuracy: 1e-5 * loss)
    }
}
