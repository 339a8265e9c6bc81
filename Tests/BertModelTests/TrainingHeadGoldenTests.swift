import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import XCTest

/// Training every head against PyTorch (golden/expected/train/<head>.*, written by
/// golden/generate_training_heads.py on the tiny models in golden/fixtures/train-heads): with
/// dropout 0, transformers' own loss, every gradient, AdamW's moments and the parameters after 1
/// and 5 steps; token classification also under PyTorch's dropout masks. Parameters the head does
/// not read are frozen: no gradient, no moment, not moved (not even by weight decay).
final class TrainingHeadGoldenTests: XCTestCase {
    func golden(_ head: String, _ kind: String = "adamw") throws -> SafeTensorsFile {
        try SafeTensorsFile.read(path: Repo.expected("train/\(head).\(kind).safetensors"))
    }

    /// train-heads/<head>, or a family fixture (`families/roberta-…`, golden/generate_training_families.py).
    func fixture(_ head: String) throws -> Checkpoint {
        if head.hasPrefix("families/") { return try FamilyFixtures.checkpoint(String(head.dropFirst("families/".count))) }
        return try CheckpointLoader.load(path: Repo.fixture("train-heads/\(head)"))
    }

    /// Batch k and its targets, as the golden's labels name them (transformers' arguments).
    func batch(_ f: SafeTensorsFile, _ k: Int, model: BertModel) throws -> (BertInput, TrainingTargets) {
        let ids = f["batch.\(k).input_ids"]!
        let input = try BertInput(batch: ids.shape[0], seq: ids.shape[1], inputIds: ints(ids),
                                  tokenTypeIds: ints(f["batch.\(k).token_type_ids"]!),
                                  attentionMask: ints(f["batch.\(k).attention_mask"]!), config: model.config)
        let labels = f["batch.\(k).labels"].map(ints)
        let targets: TrainingTargets
        switch model.head {
        case .tokenClassification: targets = .tokenLabels(labels!)
        case .questionAnswering:
            targets = .spans(start: ints(f["batch.\(k).start_positions"]!), end: ints(f["batch.\(k).end_positions"]!))
        case .maskedLM: targets = .maskedTokens(labels!)
        case .preTraining: targets = .preTraining(maskedTokens: labels!, nextSentence: ints(f["batch.\(k).next_sentence_label"]!))
        case .nextSentence: targets = .nextSentence(labels!)
        case .multipleChoice: targets = .choices(labels!)
        case .replacedTokenDetection: targets = .replacedTokens(labels!)
        case .sequenceClassification:
            let l = f["batch.\(k).labels"]!
            targets = l.dtype == .f32 ? .values(l.floats()) : .classes(ints(l))
        default: throw XCTSkip("no targets for \(model.head)")
        }
        return (input, targets)
    }

    /// AdamW as the golden's `optimizer` metadata says (lr 1e-3, weight decay 0.1), dropout as given.
    func trainer(_ head: String, dropout: DropoutRates = .off) throws -> Trainer {
        Trainer(model: try BertModel(checkpoint: fixture(head)), optimizer: .init(kind: .adamw, learningRate: 1e-3, weightDecay: 0.1),
                dropout: dropout)
    }

    func runSteps(_ head: String, architecture: HeadKind, tied: Bool = true, frozen: [String]) throws {
        let f = try golden(head)
        XCTAssertEqual(f.metadataDictionary["optimizer"].map { $0.contains(#""weight_decay":0.1"#) && $0.contains(#""lr":0.001"#) }, true)
        let t = try trainer(head)
        XCTAssertEqual(t.model.head, architecture)
        XCTAssertEqual(t.model.architecture.tiedDecoder, tied)
        XCTAssertEqual(t.frozen.map(\.name).sorted(), frozen.sorted(), "\(head): the parameters the head does not read")
        let noise = noiseDominated(f)
        XCTAssertEqual(noise.count, t.model.config.storedLayers)
        // Exact gradient 0 by shift invariance on both sides (the golden's `shift_invariant` metadata).
        let shift = Set(try JSONDecoder().decode([String].self, from: Data((f.metadataDictionary["shift_invariant"] ?? "[]").utf8)))
        let skip = Set(frozen).union(shift)
        // Elements with 0 < |g| < 100·eps: Adam's first update amplifies their f32 rounding
        // (StepTolerance.nearEps says why). Their values are not compared (their moments are); at most 1% of any tensor.
        var exempt: [String: Set<Int>] = [:]
        for e in t.gradients.layout.entries where !skip.contains(e.name) && !noise.contains(e.name) {
            guard let g = f["grad." + e.name]?.floats() else { continue }
            let tiny = Set(g.indices.filter { StepTolerance.nearEps(g[$0], eps: t.optimizer.settings.eps) })
            XCTAssertLessThanOrEqual(tiny.count, max(1, e.count / 100), "\(head): \(e.name) has \(tiny.count) gradients near eps")
            if !tiny.isEmpty { exempt[e.name] = tiny }
        }
        let initial = try fixture(head)
        let losses = f["loss"]!.floats(), lrs = f["lr"]!.floats(), norms = f["grad_norm"]!.floats()
        for k in 0..<5 {
            let (input, targets) = try batch(f, k, model: t.model)
            if k == 0 {
                let (loss, logits) = try t.lossAndGradients(input, targets: targets)
                // One forward's f32 rounding (as the classification goldens).
                assertClose(logits, f["logits.0"]!.floats(), atol: 1e-5, label: "\(head) logits.0")
                XCTAssertEqual(loss, losses[0], accuracy: 1e-5 * losses[0], "\(head) loss 0")
                compareGradients(f, t, noise: noise, label: head, skipping: skip)
                for name in shift.sorted() {
                    // f32 noise of sums of O(1) terms that cancel: PyTorch's measured ≤ 3e-8, bertkit's ≤ 3e-9.
                    let want = try XCTUnwrap(f["grad." + name]).floats(), got = t.gradients.values(name)
                    XCTAssertLessThanOrEqual(want.map(abs).max() ?? 1, 1e-7, "\(head): PyTorch grad.\(name)")
                    XCTAssertLessThanOrEqual(got.map(abs).max() ?? 1, 1e-7, "\(head): grad.\(name)")
                }
                for name in frozen {
                    XCTAssertEqual(t.gradients.values(name).filter { $0 != 0 }.count, 0, "\(head): frozen \(name) has a gradient")
                    XCTAssertNil(f["grad." + name], "\(head): PyTorch has a gradient for \(name)")
                }
            }
            let r = try t.step(input, targets: targets)
            // As TrainingGoldenTests: forward rounding after k steps of updates that agree to ~1e-6.
            XCTAssertEqual(r.loss, losses[k], accuracy: 2e-5 * losses[k], "\(head) loss at step \(k + 1)")
            XCTAssertEqual(r.learningRate, lrs[k], accuracy: 1e-9, "\(head) lr at step \(k + 1)")
            XCTAssertEqual(r.gradientNorm, norms[k], accuracy: 1e-4 * norms[k], "\(head) grad norm at step \(k + 1)")
            if k == 0 {
                compareState(f, t, suffix: "", noise: noise, skipping: skip, exempt: exempt)
                try compareKeyBiases(f, t, initial: initial, steps: 1, noise: noise)
            }
        }
        compareState(f, t, suffix: "5", noise: noise, skipping: skip, exempt: exempt)
        try compareKeyBiases(f, t, initial: initial, steps: 5, noise: noise)
        for name in frozen {
            let e = t.gradients.layout[name]!
            XCTAssertEqual(t.model.parameters.values(name), initial[name]!.floats(), "\(head): frozen \(name) moved")
            XCTAssertEqual(t.optimizer.exp_avg[e.offset..<e.offset + e.count].filter { $0 != 0 }.count, 0, "\(head): exp_avg.\(name)")
            XCTAssertEqual(t.optimizer.exp_avg_sq[e.offset..<e.offset + e.count].filter { $0 != 0 }.count, 0, "\(head): exp_avg_sq.\(name)")
            // The untied decoder's unused bias is in PyTorch's model: AdamW skipped it (no .grad).
            if let want = f["param5." + name]?.floats() { XCTAssertEqual(t.model.parameters.values(name), want, "\(head): param5.\(name)") }
        }
    }

    // RoBERTa / XLM-R (golden/expected/train/families, golden/generate_training_families.py): the
    // classification head's dense + tanh on <s> and its two dropouts' sites, the lm_head's fixed gelu,
    // positions from the padding mask in the embeddings' backward (no gradient into row pad).

    func testRobertaSequenceClassificationFiveSteps() throws {
        try runSteps("families/roberta-sequence-classification", architecture: .sequenceClassification, frozen: [])
    }

    func testRobertaRegressionFiveSteps() throws {
        try runSteps("families/roberta-regression", architecture: .sequenceClassification, frozen: [])
    }

    func testRobertaMaskedLMFiveSteps() throws {
        try runSteps("families/roberta-masked-lm", architecture: .maskedLM, frozen: [])
    }

    func testXLMRobertaSequenceClassificationFiveSteps() throws {
        try runSteps("families/xlmr-sequence-classification", architecture: .sequenceClassification, frozen: [])
    }

    /// ELECTRA (golden/generate_training_families.py on golden/generate_electra.py's fixtures): the
    /// dense + gelu classifier and the embedding_size-wide generator, both through embeddings_project.
    func testElectraSequenceClassificationFiveSteps() throws {
        try runSteps("families/electra-sequence-classification", architecture: .sequenceClassification, frozen: [])
    }

    func testElectraMaskedLMFiveSteps() throws {
        try runSteps("families/electra-masked-lm", architecture: .maskedLM, frozen: [])
    }

    /// ElectraForPreTraining: the discriminator's dense → gelu_new → dense_prediction on every token,
    /// BCEWithLogitsLoss over the attention mask's tokens (the golden's first batch has padding).
    func testElectraDiscriminatorFiveSteps() throws {
        try runSteps("families/electra-pre-training", architecture: .replacedTokenDetection, frozen: [])
    }

    // DistilBERT (golden/generate_distilbert.py fixtures): pre_classifier + ReLU on token 0, the masked
    // LM's vocab_transform under `activation`, and embeddings without a token-type table.

    func testDistilBertSequenceClassificationFiveSteps() throws {
        try runSteps("families/distilbert-sequence-classification", architecture: .sequenceClassification, frozen: [])
    }

    func testDistilBertMaskedLMFiveSteps() throws {
        try runSteps("families/distilbert-masked-lm", architecture: .maskedLM, frozen: [])
    }

    // MPNet (golden/generate_training_families.py): the relative position bias's gradient
    // (`grad.encoder.relative_attention_bias.weight`, summed over the batch and every layer), its
    // AdamW state and values after 1 and 5 steps, through the RoBERTa-like heads.

    func testMPNetSequenceClassificationFiveSteps() throws {
        try runSteps("families/mpnet-sequence-classification", architecture: .sequenceClassification, frozen: [])
    }

    func testMPNetMaskedLMFiveSteps() throws {
        try runSteps("families/mpnet-masked-lm", architecture: .maskedLM, frozen: [])
    }

    // ALBERT (golden/generate_training_families.py on golden/generate_albert.py's fixtures): 4 layers over
    // 2 shared groups, so each stored layer's gradient is the sum over the 2 steps that apply it; the
    // embedding_hidden_mapping_in projection, the pooled classifier and the embedding_size-wide MLM head.

    func testAlbertSequenceClassificationFiveSteps() throws {
        try runSteps("families/albert-sequence-classification", architecture: .sequenceClassification, frozen: [])
    }

    func testAlbertMaskedLMFiveSteps() throws {
        try runSteps("families/albert-masked-lm", architecture: .maskedLM, frozen: [])
    }

    func testTokenClassificationFiveSteps() throws {
        try runSteps("token-classification", architecture: .tokenClassification, frozen: ["pooler.dense.weight", "pooler.dense.bias"])
    }

    func testQuestionAnsweringFiveSteps() throws {
        try runSteps("question-answering", architecture: .questionAnswering, frozen: [])
    }

    func testMaskedLMTiedFiveSteps() throws {
        try runSteps("masked-lm", architecture: .maskedLM, frozen: ["pooler.dense.weight", "pooler.dense.bias",
                                                                   "cls.seq_relationship.weight", "cls.seq_relationship.bias"])
    }

    func testMaskedLMUntiedFiveSteps() throws {
        try runSteps("masked-lm-untied", architecture: .maskedLM, tied: false, frozen: ["cls.predictions.bias"])
    }

    func testPreTrainingFiveSteps() throws {
        try runSteps("pre-training", architecture: .preTraining, frozen: [])
    }

    func testNextSentenceFiveSteps() throws {
        try runSteps("next-sentence", architecture: .nextSentence, frozen: [
            "cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
            "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
        ])
    }

    func testMultipleChoiceFiveSteps() throws {
        try runSteps("multiple-choice", architecture: .multipleChoice, frozen: [])
    }

    /// Token classification's dropout is on every token before the classifier: PyTorch's masks
    /// give PyTorch's loss and gradients, within the tolerances used without dropout.
    func testTokenClassificationDropoutWithPyTorchMasks() throws {
        let f = try golden("token-classification", "dropout")
        let rates = DropoutRates(hidden: 0.1, attention: 0.2, classifier: 0.3)
        XCTAssertEqual(f.metadataDictionary["dropout"],
                       #"{"attention_probs_dropout_prob":0.2,"classifier_dropout":0.3,"hidden_dropout_prob":0.1}"#)
        let t = try trainer("token-classification", dropout: rates)
        let (input, targets) = try batch(f, 0, model: t.model)
        let masks = DropoutMasks(config: t.model.config, batch: input.batch, seq: input.seq, rates: rates, head: .tokenClassification)
        let torchSites = try JSONDecoder().decode([String].self, from: Data(f.metadataDictionary["mask_sites"]!.utf8))
        XCTAssertEqual(masks.sites.map(\.site.weightPrefix), torchSites)
        XCTAssertEqual(masks.sites.last?.count, input.batch * input.seq * t.model.config.hiddenSize, "per token")
        for (k, site) in masks.sites.enumerated() {
            let m = try XCTUnwrap(f["mask.\(k)"])
            XCTAssertEqual(m.elementCount, site.count, "\(site.site)")
            let buffer = try XCTUnwrap(masks.mask(site.site))
            for i in 0..<site.count { buffer[i] = UInt8(m.element(i)) }
        }
        let (loss, logits) = try t.lossAndGradients(input, targets: targets, masks: masks)
        assertClose(logits, f["logits.0"]!.floats(), atol: 1e-5, label: "dropout logits")
        XCTAssertEqual(loss, f["loss"]!.floats()[0], accuracy: 1e-5 * f["loss"]!.floats()[0], "dropout loss")
        compareGradients(f, t, noise: noiseDominated(f), label: "token dropout", skipping: Set(t.frozen.map(\.name)))
    }

    /// QA, MLM and NSP heads have no dropout of their own (only the encoder's sites).
    func testHeadsWithoutClassifierDropoutHaveNoClassifierSite() throws {
        let c = try fixture("pre-training").config
        let rates = DropoutRates(hidden: 0.1, attention: 0.1, classifier: 0.5)
        for head in [HeadKind.questionAnswering, .maskedLM, .nextSentence, .preTraining] {
            let m = DropoutMasks(config: c, batch: 2, seq: 4, rates: rates, head: head)
            XCTAssertNil(m.mask(.classifier), "\(head)")
            XCTAssertEqual(m.sites.count, 1 + 3 * c.numHiddenLayers, "\(head)")
        }
        XCTAssertEqual(DropoutMasks(config: c, batch: 2, seq: 4, rates: rates, head: .multipleChoice).mask(.classifier)?.count, 2 * c.hiddenSize)
    }

    func testTargetsThatDoNotFitAreRefusedByName() throws {
        let t = try trainer("question-answering")
        let input = try BertInput(batch: 2, seq: 4, inputIds: [4, 9, 10, 5, 4, 11, 5, 0], config: t.model.config)
        XCTAssertThrowsError(try t.lossAndGradients(input, targets: .tokenLabels([Int](repeating: 0, count: 8)))) { e in
            XCTAssertEqual(e as? TrainingTargetsError, .wrongTask(head: .questionAnswering, task: "token classification"))
            XCTAssertTrue((e as? LocalizedError)?.errorDescription?.contains("BertForQuestionAnswering") == true)
        }
        XCTAssertThrowsError(try t.lossAndGradients(input, targets: .spans(start: [1], end: [1, 2]))) { e in
            XCTAssertEqual(e as? TrainingTargetsError, .count(name: "start_positions", found: 1, expected: 2))
        }
        let tok = try trainer("token-classification")
        XCTAssertThrowsError(try tok.lossAndGradients(input, targets: .tokenLabels([-100, 0, 1, 3, -100, 2, -100, -100]))) { e in
            XCTAssertEqual(e as? TrainingTargetsError, .outOfRange(name: "labels", index: 3, value: 3, classes: 3))
        }
        let mc = try trainer("multiple-choice")
        let three = try BertInput(batch: 3, seq: 2, inputIds: [4, 5, 4, 5, 4, 5], config: mc.model.config)
        XCTAssertThrowsError(try mc.lossAndGradients(three, targets: .choices([0, 1]))) { e in
            XCTAssertEqual(e as? TrainingTargetsError, .choices(rows: 3, examples: 2))
        }
        let nsp = try trainer("next-sentence")
        XCTAssertThrowsError(try nsp.lossAndGradients(input, targets: .nextSentence([0, 2]))) { e in
            XCTAssertEqual(e as? TrainingTargetsError, .outOfRange(name: "next_sentence_label", index: 1, value: 2, classes: 2))
        }
    }

    /// A batch whose labels are all ignored has a NaN loss, as torch's mean over no term: the step
    /// skips its update.
    func testAllIgnoredLabelsGiveNaNAndNoUpdate() throws {
        let t = try trainer("masked-lm")
        let input = try BertInput(batch: 1, seq: 4, inputIds: [4, 6, 9, 5], config: t.model.config)
        let before = t.model.parameters.values("embeddings.word_embeddings.weight")
        let r = try t.step(input, targets: .maskedTokens([-100, -100, -100, -100]))
        XCTAssertTrue(r.loss.isNaN)
        XCTAssertEqual(t.optimizer.step, 0)
        XCTAssertEqual(t.model.parameters.values("embeddings.word_embeddings.weight"), before)
    }
}
