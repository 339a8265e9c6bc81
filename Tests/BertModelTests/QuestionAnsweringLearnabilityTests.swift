import BertFormats
import BertModel
import BertTensors
import Foundation
import TestSupport
import XCTest

/// End to end: bertkit learns extractive question answering on golden/data/squad-mini from
/// all-MiniLM-L6-v2 (a sentence encoder never trained for QA), scored on 32 held-out questions about
/// 8 paragraphs it never saw.
final class QuestionAnsweringLearnabilityTests: XCTestCase {
    static let features = QuestionAnsweringFeatureOptions(maxSeqLength: 96, docStride: 32)

    static func qaModel(_ path: String) throws -> BertModel {
        var c = try CheckpointLoader.load(path: path)
        // transformers' _init_weights for the new qa_outputs: normal(0, initializer_range), zero bias.
        var rng = SeededGenerator(seed: 0)
        let h = c.config.hiddenSize
        c.parameters.removeAll { $0.name.hasPrefix("pooler.") }
        c.parameters.append(("qa_outputs.weight", RawTensor(floats: (0..<2 * h).map { _ in Float(rng.normal() * c.config.initializerRange) }, shape: [2, h])))
        c.parameters.append(("qa_outputs.bias", RawTensor(floats: [0, 0], shape: [2])))
        c.architecture = Architecture(modelType: c.architecture.modelType, head: .questionAnswering, pooler: false)
        c.config.architectures = [HeadKind.questionAnswering.architectureName]
        return try BertModel(checkpoint: c)
    }

    func testFineTuningMiniLMOnSQuADMiniAnswersHeldOutQuestions() throws {
        let path = try Repo.requireMiniLM()
        let model = try Self.qaModel(path)
        let train = try SQuADDataset(contentsOf: Repo.golden("data/squad-mini/train.json"))
        let dev = try SQuADDataset(contentsOf: Repo.golden("data/squad-mini/dev.jsonl"))
        XCTAssertEqual([train.examples.count, dev.examples.count], [116, 32])
        let data = try QuestionAnsweringTrainingData(dataset: train, tokenizer: model.makeTokenizer(), options: Self.features)
        XCTAssertEqual(data.features.count, 116, "every question fits one window of 96 tokens")
        let before = try QuestionAnsweringEvaluation.run(model: model, dataset: dev, features: Self.features).scores
        let env = ProcessInfo.processInfo.environment
        let steps = Int(env["QA_STEPS"] ?? "") ?? 45, lr = Float(env["QA_LR"] ?? "") ?? 1e-4
        let trainer = Trainer(model: model, optimizer: .init(kind: .adamw, learningRate: lr), schedule: .constant, seed: 0)
        var rng = SeededGenerator(seed: 0)
        var order: [Int] = [], losses: [Float] = []
        let start = Date()
        for _ in 0..<steps {
            if order.count < 8 { order += Array(data.features.indices).shuffled(using: &rng) }
            let rows = Array(order.prefix(8))
            order.removeFirst(8)
            let (input, targets) = try data.batch(rows, config: model.config)
            losses.append(try trainer.step(input, targets: targets).loss)
        }
        let trained = Date().timeIntervalSince(start)
        let after = try QuestionAnsweringEvaluation.run(model: model, dataset: dev, features: Self.features).scores
        print("QA learnability: \(steps) steps at lr \(lr) in \(String(format: "%.1f", trained)) s; EM/F1 before \(before.exactMatch)/\(before.f1), after \(after.exactMatch)/\(after.f1); loss \(losses.first!) → \(losses.suffix(5))")
        XCTAssertLessThan(before.f1, 15, "an untrained head picks arbitrary spans")
        XCTAssertGreaterThanOrEqual(after.exactMatch, 40)
        XCTAssertGreaterThanOrEqual(after.f1, 55)
    }
}
