import BertFormats
import BertModel
import BertVerify
import TestSupport
import XCTest

/// The gate on what it is for: a model bertkit has just fine-tuned and saved.
final class ValidateFineTunedTests: XCTestCase {
    func testAFreshlyFineTunedModelPassesEveryCheck() throws {
        let labels = ["World", "Sports", "Business", "Sci/Tech"]
        let (base, _) = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
            .forSequenceClassification(labels: labels, resetHead: true, seed: 7)
        let model = try BertModel(checkpoint: base)
        let data = try LabelledDataset(contentsOf: Repo.golden("data/text-label.csv"), labels: labels)
        var o = FineTuningOptions(steps: 6)
        o.reportEvery = 6
        try FineTuningLoop(trainer: Trainer(model: model, optimizer: .init(kind: .adam, learningRate: 1e-3)), dataset: data,
                           options: o).run()
        let path = Repo.temporaryDirectory() + "/fine-tuned.bkm"
        let tuned = model.checkpoint(like: base)
        try CheckpointExporter.write(tuned, to: path)
        XCTAssertGreaterThan(WeightDiff(base, tuned).entries.first?.relativeChange ?? 0, 0, "training changed the weights")

        var options = Validator.Options()
        options.data = Repo.golden("data/text-label.csv")
        options.minAccuracy = 0
        let r = Validator.run(path: path, options: options)
        XCTAssertTrue(r.passed, r.failed.map { "\($0.name): \($0.reason)" }.joined(separator: "\n"))
        XCTAssertEqual(r.checks.first { $0.name == "accuracy" }?.status, .pass)
        XCTAssertEqual(r.checks.first { $0.name == "bkm checksums" }?.status, .pass)
    }
}
