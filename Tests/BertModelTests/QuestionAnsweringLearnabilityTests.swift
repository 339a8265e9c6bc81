import BertFormats
import BertModel
import Foundation
import TestSupport
import XCTest

/// End to end: bertkit learns extractive question answering on golden/data/squad-mini from
/// all-MiniLM-L6-v2 (a sentence encoder never trained for QA), scored on 32 held-out questions about
/// 8 paragraphs it never saw.
final class QuestionAnsweringLearnabilityTests: XCTestCase {
    static let features = QuestionAnsweringFeatureOptions(maxSeqLength: 96, docStride: 32)

    func testFineTuningMiniLMOnSQuADMiniAnswersHeldOutQuestions() throws {
        let path = try Repo.requireMiniLM()
        let (checkpoint, created) = try CheckpointLoader.load(path: path).forHead(.questionAnswering, labels: [], seed: 0)
        XCTAssertEqual(created, ["qa_outputs.bias", "qa_outputs.weight"])
        let model = try BertModel(checkpoint: checkpoint)
        let train = try SQuADDataset(contentsOf: Repo.golden("data/squad-mini/train.json"))
        let dev = try SQuADDataset(contentsOf: Repo.golden("data/squad-mini/dev.jsonl"))
        XCTAssertEqual([train.examples.count, dev.examples.count], [116, 32])
        let data = try QuestionAnsweringBatchSource(dataset: train, model: model, options: Self.features)
        XCTAssertEqual(data.count, 116, "every question fits one window of 96 tokens")
        let before = try QuestionAnsweringEvaluation.run(model: model, dataset: dev, features: Self.features).scores
        // 45 steps of 8 windows (about 3 epochs), AdamW at 2e-4, dropout as in the config.
        let trainer = Trainer(model: model, optimizer: .init(kind: .adamw, learningRate: 2e-4), seed: 0)
        var options = FineTuningOptions(steps: 45)
        options.seed = 0
        options.reportEvery = 15
        let loop = try FineTuningLoop(trainer: trainer, source: data, options: options, template: checkpoint)
        let start = Date()
        try loop.run()
        let trained = Date().timeIntervalSince(start)
        let after = try QuestionAnsweringEvaluation.run(model: model, dataset: dev, features: Self.features).scores
        print("QA learnability: 45 steps in \(String(format: "%.1f", trained)) s; EM/F1 before \(before.exactMatch)/\(before.f1), after \(after.exactMatch)/\(after.f1); \(loop.reports)")
        // Measured (2 cores, debug): before EM 0, F1 8.1 (arbitrary spans); after EM 68.75 (22 of 32), F1 76.5,
        // span accuracy over the last 15 steps 0.53; about 24 s of CPU. The thresholds sit 7 questions (EM)
        // and 16 points (F1) below that, room for summation-order differences between machines and thread
        // counts, and far above the untrained head. With targets one token off, EM is 0 and F1 19.
        XCTAssertLessThan(before.f1, 15, "an untrained head picks arbitrary spans")
        XCTAssertGreaterThanOrEqual(after.exactMatch, 45, "held-out exact match")
        XCTAssertGreaterThanOrEqual(after.f1, 60, "held-out F1")
        XCTAssertLessThan(loop.reports.last!.loss, loop.reports.first!.loss, "training loss falls")
    }
}
