import BertFormats
import BertModel
import TestSupport
import XCTest

/// End to end: bertkit's training learns a real task. PyTorch (golden/README.md, "Training
/// goldens and data") reaches 0.96–0.99 test accuracy after 1–2 epochs with these settings.
final class LearnabilityTests: XCTestCase {
    func testFineTuningMiniLMOnAGNewsMiniReaches90Percent() throws {
        let path = try Repo.requireMiniLM()
        let labels = ["World", "Sports", "Business", "Sci/Tech"]
        let (checkpoint, created) = try CheckpointLoader.load(path: path)
            .forSequenceClassification(labels: labels, resetHead: false, seed: 0)
        XCTAssertEqual(created, ["classifier.bias", "classifier.weight"])
        let model = try BertModel(checkpoint: checkpoint)
        let train = try LabelledDataset(contentsOf: Repo.golden("data/agnews-mini/train.csv"), labels: labels)
        let test = try LabelledDataset(contentsOf: Repo.golden("data/agnews-mini/test.csv"), labels: labels)
        XCTAssertEqual(train.examples.count, 240)
        let before = try ClassifierEvaluation.run(model: model, dataset: test, maxLength: 64).metrics.accuracy
        let trainer = Trainer(model: model, optimizer: .init(kind: .adam, learningRate: 5e-5))
        var options = FineTuningOptions(steps: 60)  // two epochs of 30 batches of 8
        options.maxLength = 64
        options.seed = 0
        options.reportEvery = 30
        let loop = try FineTuningLoop(trainer: trainer, dataset: train, options: options)
        try loop.run()
        let after = try ClassifierEvaluation.run(model: model, dataset: test, maxLength: 64).metrics.accuracy
        XCTAssertLessThan(before, 0.5, "a new head starts near chance (0.25)")
        XCTAssertGreaterThanOrEqual(after, 0.90, "held-out accuracy after two epochs; reports \(loop.reports)")
        XCTAssertLessThan(loop.reports.last!.loss, loop.reports.first!.loss, "training loss falls")
    }
}
