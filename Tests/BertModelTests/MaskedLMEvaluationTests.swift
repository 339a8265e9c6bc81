import BertFormats
import BertModel
import Foundation
import TestSupport
import XCTest

/// Masked-LM perplexity and accuracy, and multiple-choice accuracy, against transformers' loss on
/// the very batches bertkit builds (golden/generate_mlm_mc_eval.py).
final class MaskedLMEvaluationTests: XCTestCase {
    func ints(_ f: SafeTensorsFile, _ name: String) -> [Int] { f[name]!.integers()!.map(Int.init) }

    func documents(wholeWord: Bool) throws -> (BertModel, MaskedLMDocuments) {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("heads/masked-lm/safetensors")))
        var data = try TextLinesDataset(contentsOf: Repo.golden("data/mlm/heldout.txt"))
        data.documents = Array(data.documents.prefix(12))
        return (model, try MaskedLMDocuments(data, model: model, masking: MaskingOptions(wholeWord: wholeWord), maxLength: 32))
    }

    func check(_ name: String, wholeWord: Bool) throws {
        let g = try SafeTensorsFile.read(path: Repo.expected("mlmmc/" + name))
        let (model, docs) = try documents(wholeWord: wholeWord)
        // The masked batch is bertkit's, bit for bit (the golden's Python mirrors the draws).
        let (input, targets) = try docs.evaluationBatch(Array(0..<12), seed: 3, config: model.config)
        XCTAssertEqual(input.inputIds.map(Int.init), ints(g, "input_ids"), "\(name): masked input ids")
        XCTAssertEqual(input.attentionMask.map(Int.init), ints(g, "attention_mask"), "\(name): attention mask")
        XCTAssertEqual(targets, .maskedTokens(ints(g, "labels")), "\(name): labels")
        let meta = g.metadataDictionary
        let loss = Double(meta["loss"]!)!, accuracy = Double(meta["accuracy"]!)!
        // Batch size 5 rather than 12: the masks belong to the documents, not to the batches.
        let m = try MaskedLMEvaluation.run(model: model, documents: docs, seed: 3, batchSize: 5)
        XCTAssertEqual(m.maskedTokens, ints(g, "labels").filter { $0 != -100 }.count)
        // torch's f32 mean of 50 CE terms against bertkit's f64 sum of f32 logits, each logit within
        // ~1e-6 of torch's: 1e-5 relative covers both.
        XCTAssertEqual(m.loss, loss, accuracy: 1e-5 * loss, "\(name): mean CE over the masked positions")
        XCTAssertEqual(m.perplexity, exp(loss), accuracy: 1e-5 * exp(loss) * 2, "\(name): perplexity = exp(loss)")
        XCTAssertEqual(m.accuracy, accuracy, "\(name): masked-token accuracy")
        // The logits at the masked positions, the same forward as the fill-mask goldens (1e-5 there too).
        let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
        try model.forward(input, into: buffers)
        guard case .maskedTokens(let labels) = targets else { return XCTFail() }
        let logits = model.maskedLMLogits(buffers, tokens: labels.indices.filter { labels[$0] != -100 })
        assertClose(logits, g["logits"]!.floats(), atol: 1e-5, rtol: 1e-5, label: "\(name) logits")
    }

    func testPerplexityAndAccuracyMatchTransformersOnTheSameMaskedBatch() throws {
        try check("mlm-eval.safetensors", wholeWord: false)
    }

    func testWholeWordMaskedBatchMatchesToo() throws {
        try check("mlm-eval-wwm.safetensors", wholeWord: true)
    }

    func testTwoModelsAreScoredOnTheSameMasks() throws {
        let (model, docs) = try documents(wholeWord: false)
        let a = try docs.evaluationBatch([3, 7], seed: 3, config: model.config)
        let b = try docs.evaluationBatch([7], seed: 3, config: model.config)
        let c = try docs.evaluationBatch([7], seed: 4, config: model.config)
        guard case .maskedTokens(let la) = a.1, case .maskedTokens(let lb) = b.1, case .maskedTokens(let lc) = c.1 else { return XCTFail() }
        XCTAssertEqual(Array(la[a.0.seq..<(a.0.seq + b.0.seq)]), lb, "document 7's masks do not depend on its batch")
        XCTAssertNotEqual(lb, lc, "another seed, other masks")
    }

    func testMultipleChoiceAccuracyAndLossMatchTransformers() throws {
        let g = try SafeTensorsFile.read(path: Repo.expected("mlmmc/mc-eval.safetensors"))
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("heads/multiple-choice/safetensors")))
        let data = try MultipleChoiceRows(MultipleChoiceDataset(contentsOf: Repo.golden("data/multiple-choice/test.csv")), model: model,
                                          maxLength: 32)
        let (input, targets) = try data.batch(Array(0..<4), config: model.config)
        XCTAssertEqual(input.inputIds.map(Int.init), ints(g, "input_ids"), "run_swag's rows")
        XCTAssertEqual(input.tokenTypeIds.map(Int.init), ints(g, "token_type_ids"))
        XCTAssertEqual(targets, .choices(ints(g, "labels")))
        let m = try MultipleChoiceEvaluation.run(model: model, data: data, batchSize: 3)
        let meta = g.metadataDictionary
        let loss = Double(meta["loss"]!)!
        // CE over 4 choices from logits within 1e-5 of torch's (the head goldens' tolerance).
        XCTAssertEqual(m.loss, loss, accuracy: 1e-5 * loss)
        XCTAssertEqual(m.accuracy, Double(meta["accuracy"]!)!)
        let logits = g["logits"]!.floats()
        XCTAssertEqual(m.predictions, (0..<4).map { b in (0..<4).max { logits[b * 4 + $0] < logits[b * 4 + $1] }! })
    }
}
