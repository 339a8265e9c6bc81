import BertFormats
@testable import BertModel
import TestSupport
import XCTest

/// ALBERT's pre-training head drops the pooled output before `sop_classifier` (AlbertSOPHead,
/// classifier_dropout_prob), which bertkit's training does not apply: such a step is refused naming the
/// key, never run without it; with that rate 0 it trains.
final class AlbertTrainingTests: XCTestCase {
    func testAPreTrainingStepWithTheSentenceOrderDropoutIsRefusedByKey() throws {
        let model = try BertModel(checkpoint: try FamilyFixtures.checkpoint("albert-pre-training"))
        let input = try BertInput(rows: [[2, 40, 4, 41, 3, 50, 51, 3]], tokenTypes: [[0, 0, 0, 0, 0, 1, 1, 1]], config: model.config)
        let targets = TrainingTargets.preTraining(maskedTokens: [-100, -100, 42, -100, -100, -100, -100, -100], nextSentence: [0])
        let settings = AdamOptimizer.Settings(kind: .adamw, learningRate: 1e-3, weightDecay: 0.1)
        let t = Trainer(model: model, optimizer: settings)  // the config's rates: classifier_dropout_prob 0.1
        XCTAssertThrowsError(try t.lossAndGradients(input, targets: targets)) { e in
            XCTAssertEqual(e as? FineTuningError, .unsupportedDropout(family: "ALBERT", head: .preTraining, key: "classifier_dropout_prob", rate: Double(Float(0.1))))
            XCTAssertTrue((e as? LocalizedError)?.errorDescription?.contains("classifier_dropout_prob") == true)
        }
        let off = Trainer(model: model, optimizer: settings, dropout: DropoutRates(hidden: 0.1, attention: 0.1, classifier: 0))
        XCTAssertNoThrow(try off.lossAndGradients(input, targets: targets))
    }
}
