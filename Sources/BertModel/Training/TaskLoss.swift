import BertFormats
import Foundation

// The loss of each head as transformers 5.23's `BertFor….forward` computes it from its `labels=`
// arguments (models/bert/modeling_bert.py), every one a CrossEntropyLoss (Loss.swift) with torch's
// default ignore index −100 unless said otherwise:
// - token classification: over logits.view(-1, num_labels) and labels.view(-1);
// - question answering: positions clamped to [0, S], ignore index S, (start CE + end CE) / 2;
// - masked LM: over prediction_scores.view(-1, vocab_size), i.e. at the positions with a label;
// - next sentence: over seq_relationship_scores.view(-1, 2);
// - pre-training: masked LM + next sentence;
// - multiple choice: over logits.view(-1, num_choices) against one choice per example;
// - replaced-token detection (modeling_electra.py ElectraForPreTraining): BCEWithLogitsLoss, mean over
//   the tokens whose attention_mask is 1, against labels.float().
// Sequence classification keeps `classificationLoss` (by problem type).

/// Targets that do not fit the model or the batch.
public enum TrainingTargetsError: LocalizedError, Equatable {
    case wrongTask(head: HeadKind, task: String)
    /// `name` has `found` values where the batch needs `expected`.
    case count(name: String, found: Int, expected: Int)
    /// Value `index` of `name` is `value`, outside 0..<`classes` (and not the ignore index −100).
    case outOfRange(name: String, index: Int, value: Int, classes: Int)
    /// A multiple-choice batch of `rows` rows cannot hold `examples` examples with the same number of choices.
    case choices(rows: Int, examples: Int)

    public var errorDescription: String? {
        switch self {
        case let .wrongTask(head, task):
            "\(task) targets cannot train a \(head.architectureName) (its head is \(head.rawValue))"
        case let .count(name, found, expected):
            "\(name) has \(found) values; this batch needs \(expected)"
        case let .outOfRange(name, index, value, classes):
            "\(name)[\(index)] is \(value), outside 0..<\(classes) (and not the ignore index -100)"
        case let .choices(rows, examples):
            "a multiple-choice batch of \(rows) rows cannot hold \(examples) examples with the same number of choices"
        }
    }
}

/// torch's default `ignore_index`.
let ignoredLabel = -100

extension BertModel {
    /// Why finetune does not train ELECTRA's discriminator (the library's Trainer does, TrainingTargets.replacedTokens).
    public static let replacedTokenDetectionUntrained =
        "ElectraForPreTraining's loss (BCEWithLogitsLoss over the attention mask's tokens against replaced/original labels) "
        + "needs a generator's replacements, which finetune has no data reader for; fine-tune the encoder under another head "
        + "(load it as ElectraModel)"

    /// Checks `targets` against the head and the batch shape (before anything runs).
    func check(_ targets: TrainingTargets, batch b: Int, seq s: Int) throws {
        let c = config, t = b * s
        func labels(_ name: String, _ y: [Int], count: Int, classes: Int) throws {
            guard y.count == count else { throw TrainingTargetsError.count(name: name, found: y.count, expected: count) }
            if let i = y.firstIndex(where: { $0 != ignoredLabel && ($0 < 0 || $0 >= classes) }) {
                throw TrainingTargetsError.outOfRange(name: name, index: i, value: y[i], classes: classes)
            }
        }
        switch (head, targets) {
        case (.replacedTokenDetection, .replacedTokens(let y)):
            try labels("labels", y, count: t, classes: 2)
        case (.sequenceClassification, .classes(let y)):
            // classificationLoss has no ignore index (it predates the other heads and stays bit for bit).
            guard y.count == b else { throw TrainingTargetsError.count(name: "labels", found: y.count, expected: b) }
            if let i = y.firstIndex(where: { $0 < 0 || $0 >= c.numLabels }) {
                throw TrainingTargetsError.outOfRange(name: "labels", index: i, value: y[i], classes: c.numLabels)
            }
        case (.sequenceClassification, .values(let y)):
            guard y.count == b * c.numLabels else { throw TrainingTargetsError.count(name: "labels", found: y.count, expected: b * c.numLabels) }
        case (.tokenClassification, .tokenLabels(let y)):
            try labels("labels", y, count: t, classes: c.numLabels)
        case (.questionAnswering, .spans(let start, let end)):
            // Any position is allowed: out of range ones are clamped (and S ignored).
            for (name, y) in [("start_positions", start), ("end_positions", end)] where y.count != b {
                throw TrainingTargetsError.count(name: name, found: y.count, expected: b)
            }
        case (.maskedLM, .maskedTokens(let y)):
            try labels("labels", y, count: t, classes: c.vocabSize)
        case (.nextSentence, .nextSentence(let y)):
            try labels("next_sentence_label", y, count: b, classes: 2)
        case (.preTraining, .preTraining(let y, let nsp)):
            try labels("labels", y, count: t, classes: c.vocabSize)
            try labels("next_sentence_label", nsp, count: b, classes: 2)
        case (.multipleChoice, .choices(let y)):
            guard !y.isEmpty, b % y.count == 0 else { throw TrainingTargetsError.choices(rows: b, examples: y.count) }
            try labels("labels", y, count: y.count, classes: b / y.count)
        default:
            throw TrainingTargetsError.wrongTask(head: head, task: targets.task)
        }
    }

    /// The loss of the last forward into `a` against `targets` (checked), writing the gradient of
    /// every head output it reads into `d`; the masked-LM head first runs at the labelled positions.
    /// Sequence classification uses `problem`.
    func loss(_ a: ActivationBuffers, _ d: GradientBuffers, targets: TrainingTargets, problem: ProblemType) -> Float {
        let c = config, b = a.batch, s = a.seq, t = b * s
        func maskedLM(_ y: [Int]) -> Double {
            let m = d.maskedLM!
            let positions = y.indices.filter { y[$0] != ignoredLabel }
            m.reset(positions: positions)
            MaskedLMHead(parameters, config: c, tied: architecture.tiedDecoder)
                .trainingForward(m, last: a.layers.last?.output ?? a.encoderInput)
            return crossEntropy(logits: m.logits, targets: positions.map { y[$0] }, ignoreIndex: ignoredLabel, rows: m.rows,
                                classes: c.vocabSize, dlogits: m.dlogits)
        }
        func nextSentence(_ y: [Int]) -> Double {
            crossEntropy(logits: a.nextSentenceLogits!, targets: y, ignoreIndex: ignoredLabel, rows: b, classes: 2,
                         dlogits: d.nextSentence!)
        }
        switch targets {
        case .classes, .values:
            return classificationLoss(problem, logits: a.logits!, targets: targets, batch: b, labels: c.numLabels, dlogits: d.logits)
        case .tokenLabels(let y):
            return Float(crossEntropy(logits: a.logits!, targets: y, ignoreIndex: ignoredLabel, rows: t, classes: c.numLabels,
                                      dlogits: d.logits))
        case .spans(let start, let end):
            // The two channels of logits [T, 2] are [B, S] each once split: CE over a row's S positions.
            let starts = UnsafeMutablePointer<Float>.allocate(capacity: 4 * t)
            defer { starts.deallocate() }
            let ends = starts + t, dstarts = starts + 2 * t, dends = starts + 3 * t
            for i in 0..<t { (starts[i], ends[i]) = (a.logits![2 * i], a.logits![2 * i + 1]) }
            let clamp = { (y: [Int]) in y.map { min(max($0, 0), s) } }
            let ls = crossEntropy(logits: starts, targets: clamp(start), ignoreIndex: s, rows: b, classes: s, weight: 0.5,
                                  dlogits: dstarts)
            let le = crossEntropy(logits: ends, targets: clamp(end), ignoreIndex: s, rows: b, classes: s, weight: 0.5,
                                  dlogits: dends)
            for i in 0..<t { (d.logits[2 * i], d.logits[2 * i + 1]) = (dstarts[i], dends[i]) }
            return Float((ls + le) / 2)
        case .maskedTokens(let y):
            return Float(maskedLM(y))
        case .nextSentence(let y):
            return Float(nextSentence(y))
        case .preTraining(let y, let nsp):
            return Float(maskedLM(y) + nextSentence(nsp))
        case .choices(let y):
            // logits [B·C, 1] are [B, C] row-major: one row per example.
            return Float(crossEntropy(logits: a.logits!, targets: y, ignoreIndex: ignoredLabel, rows: y.count,
                                      classes: b / y.count, dlogits: d.logits))
        case .replacedTokens(let y):
            return replacedTokenLoss(logits: a.logits!, targets: y, mask: a.input!.attentionMask, dlogits: d.logits)
        }
    }
}

/// BCEWithLogitsLoss (mean) over the tokens with attention mask 1 and a label (ElectraForPreTraining's
/// `active_loss`): max(x, 0) − x·y + log1p(exp(−|x|)), as torch computes it stably, in Double; the
/// gradient (sigmoid(x) − y) / N there and 0 elsewhere.
func replacedTokenLoss(logits: UnsafePointer<Float>, targets y: [Int], mask: [UInt8], dlogits: UnsafeMutablePointer<Float>) -> Float {
    let active = y.indices.filter { mask[$0] != 0 && y[$0] != ignoredLabel }
    dlogits.update(repeating: 0, count: y.count)
    guard !active.isEmpty else { return 0 }
    let n = Double(active.count)
    var total = 0.0
    for i in active {
        let x = Double(logits[i]), t = Double(y[i])
        total += max(x, 0) - x * t + log1p(exp(-abs(x)))
        dlogits[i] = Float((1 / (1 + exp(-x)) - t) / n)
    }
    return Float(total / n)
}
