import BertFormats
import BertModel
import TestSupport
import XCTest

/// The task-generic loop: batch order and resume, eval points, the last good state on NaN.
final class FineTuningLoopTests: XCTestCase {
    func testBatchOrderIsSeededPerEpochAndSkipResumes() {
        var a = BatchOrder(count: 10, batchSize: 4, shuffle: true, seed: 9)
        let batches = (0..<6).map { _ in a.next() }
        XCTAssertEqual(batches.map(\.count), [4, 4, 2, 4, 4, 2], "DataLoader(drop_last=False): the short last batch is kept")
        XCTAssertEqual(Set(batches[0..<3].joined()), Set(0..<10), "an epoch is a permutation")
        XCTAssertEqual(Set(batches[3..<6].joined()), Set(0..<10))
        XCTAssertNotEqual(Array(batches[0..<3].joined()), Array(batches[3..<6].joined()), "each epoch draws a new order")
        var b = BatchOrder(count: 10, batchSize: 4, shuffle: true, seed: 9)
        b.skip(4)
        XCTAssertEqual(b.next(), batches[4], "skip(n) continues where n steps left off")
        var plain = BatchOrder(count: 5, batchSize: 2, shuffle: false, seed: 9)
        XCTAssertEqual((0..<4).map { _ in plain.next() }, [[0, 1], [2, 3], [4], [0, 1]])
    }

    func trainer(_ labels: [String]) throws -> (Trainer, Checkpoint) {
        let (c, _) = try CheckpointLoader.load(path: Repo.fixture("tiny-cls")).forHead(.sequenceClassification, labels: labels,
                                                                                       resetHead: true, seed: 3)
        return (Trainer(model: try BertModel(checkpoint: c), optimizer: .init(kind: .adamw, learningRate: 1e-3)), c)
    }

    func testEvalPointsEveryNStepsAndAfterTheLast() throws {
        let labels = ["World", "Sports", "Business", "Sci/Tech"]
        let (t, c) = try trainer(labels)
        var o = FineTuningOptions(steps: 5)
        o.reportEvery = 2
        o.evalEvery = 2
        let loop = try FineTuningLoop(trainer: t, dataset: LabelledDataset(contentsOf: Repo.golden("data/text-label.csv"), labels: labels),
                                      options: o, template: c)
        var seen: [Int] = []
        try loop.run(evaluate: { step in EvalPoint(step: step, name: "steps", value: Double(step), summary: "") }, onEval: { seen.append($0.step) })
        XCTAssertEqual(seen, [2, 4, 5])
        XCTAssertEqual(loop.evalPoints.map(\.value), [2, 4, 5])
        XCTAssertEqual(loop.reports.map(\.step), [2, 4, 5])
        XCTAssertEqual(loop.lastGood?.step, 5)
    }

    /// A source whose third batch poisons the model, so that step's loss is NaN.
    struct PoisonedSource: TrainingBatchSource {
        let base: LabelledBatchSource
        let model: BertModel
        var count: Int { base.count }
        func batch(rows: [Int], step: Int) throws -> TrainingBatch {
            if step == 3 {
                model.parameters[.embeddings(.normWeight)][0] = .nan  // every token reads it
                model.parameters.didChange()
            }
            return try base.batch(rows: rows, step: step)
        }
        func makeMetric() -> any TrainingTaskMetric { base.makeMetric() }
    }

    func testANaNLossStopsWithTheLastGoodStateKept() throws {
        let labels = ["World", "Sports", "Business", "Sci/Tech"]
        let (t, c) = try trainer(labels)
        var o = FineTuningOptions(steps: 10)
        o.reportEvery = 1
        let data = try LabelledDataset(contentsOf: Repo.golden("data/text-label.csv"), labels: labels)
        let source = PoisonedSource(base: try LabelledBatchSource(dataset: data, model: t.model, problem: .singleLabel, maxLength: 64),
                                    model: t.model)
        let loop = try FineTuningLoop(trainer: t, source: source, options: o, template: c)
        XCTAssertThrowsError(try loop.run()) { XCTAssertEqual($0 as? FineTuningError, .nonFiniteLoss(step: 3)) }
        XCTAssertEqual(loop.lastGood?.step, 2, "the state after the last finite step")
        let out = Repo.temporaryDirectory() + "/m.bkm"
        XCTAssertEqual(try loop.lastGood!.save(to: out), 2)
        let saved = try CheckpointLoader.load(path: out)
        XCTAssertTrue(saved.parameters.allSatisfy { $0.tensor.floats().allSatisfy(\.isFinite) }, "no NaN saved")
        let state = try OptimizerStateFile.read(path: TrainingSnapshot.optimizerPath(for: out), settings: t.optimizer.settings,
                                                parameterCount: t.model.parameters.count)
        XCTAssertEqual(state.step, 2)
    }
}
