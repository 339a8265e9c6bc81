import BertFormats
import BertModel
import TestSupport
import XCTest

/// End to end: bertkit learns NER from all-MiniLM-L6-v2 on golden/data/ner (golden/make_ner_data.py:
/// 200 hand-written English training sentences; the 60 test sentences use frames and names the
/// training set never has, so the score is generalisation, not memory).
final class NERLearnabilityTests: XCTestCase {
    func testMiniLMLearnsEntitiesItHasNotSeen() throws {
        let path = try Repo.requireMiniLM()
        let train = try TaggedSentences(contentsOf: Repo.golden("data/ner/train.conll"), labels: nil)
        let test = try TaggedSentences(contentsOf: Repo.golden("data/ner/test.conll"), labels: train.labels)
        XCTAssertEqual(train.sentences.count, 200)
        let (checkpoint, created) = try CheckpointLoader.load(path: path).forHead(.tokenClassification, labels: train.labels, seed: 0)
        XCTAssertEqual(created, ["classifier.bias", "classifier.weight"])
        let model = try BertModel(checkpoint: checkpoint)
        let before = try TokenClassificationEvaluation.run(model: model, sentences: test.sentences, maxLength: 32).scores.micro.f1
        let trainer = Trainer(model: model, optimizer: .init(kind: .adamw, learningRate: 3e-4))
        var options = FineTuningOptions(steps: 75)  // three epochs of 25 batches of 8
        options.maxLength = 32  // the longest training sentence is 21 tokens with [CLS] and [SEP]
        options.seed = 0
        options.reportEvery = 25
        let source = try TokenClassificationBatchSource(sentences: train.sentences, labels: train.labels, model: model, maxLength: 32,
                                                        labelAllTokens: false)
        let loop = try FineTuningLoop(trainer: trainer, source: source, options: options)
        try loop.run()
        let after = try TokenClassificationEvaluation.run(model: model, sentences: test.sentences, maxLength: 32).scores
        XCTAssertLessThan(before, 0.1, "a new head finds almost no entity")
        // `bertkit finetune MiniLM --task token-classification … --lr 3e-4 --steps 75 --max-length 32 --seed 0` (the same
        // settings) reached 0.898; 0.85
        // leaves room for another BLAS's rounding while a model that learnt nothing about context stays far
        // below (labels shifted by one token: 0.11). 17 s of CPU in a debug build (/usr/bin/time).
        XCTAssertGreaterThanOrEqual(after.micro.f1, 0.85, "held-out entity F1 (seqeval default) after three epochs; \(loop.reports)")
        XCTAssertLessThan(loop.reports.last!.loss, loop.reports.first!.loss, "training loss falls")
    }
}
