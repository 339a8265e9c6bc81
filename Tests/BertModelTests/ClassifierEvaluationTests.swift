import BertFormats
import BertModel
import BertTokenizer
import TestSupport
import XCTest

final class ClassifierEvaluationTests: XCTestCase {
    func testBatchedEvaluationEqualsOneTextAtATime() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
        let data = try LabelledDataset(contentsOf: Repo.golden("data/text-label.csv"), labels: model.config.id2label)
        let e = try ClassifierEvaluation.run(model: model, dataset: data, batchSize: 7)
        XCTAssertEqual(e.predictions.count, data.examples.count)
        let tokenizer = try model.makeTokenizer()
        var lossSum = 0.0
        for (k, ex) in data.examples.enumerated() {
            let input = try BertInput.encode([TextInput(ex.text)], tokenizer: tokenizer, config: model.config, limit: 128).input
            let logits = try XCTUnwrap(model.run(input).logits)
            XCTAssertEqual(e.predictions[k], logits.indices.max { logits[$0] < logits[$1] }!, "row \(k)")
            let m = Double(logits.max()!)
            lossSum += m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) }) - Double(logits[ex.label])
        }
        // Padded batches and single texts agree to f32 rounding (the padded-batch test bounds it).
        XCTAssertEqual(e.loss, lossSum / Double(data.examples.count), accuracy: 1e-5)
        let correct = zip(e.predictions, data.examples).filter { $0 == $1.label }.count
        XCTAssertEqual(e.metrics.accuracy, Double(correct) / Double(data.examples.count))
        XCTAssertEqual(e.metrics.confusion.joined().reduce(0, +), data.examples.count)
    }

    func testAnEncoderWithoutHeadIsRefused() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-bert")))
        let data = try LabelledDataset(contentsOf: Repo.golden("data/text-label.csv"), labels: ["World", "Sports", "Business", "Sci/Tech"])
        XCTAssertThrowsError(try ClassifierEvaluation.run(model: model, dataset: data)) { e in
            XCTAssertEqual(e as? ModelError, .noClassifier)
        }
    }
}

import Foundation
