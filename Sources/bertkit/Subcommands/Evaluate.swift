import ArgumentParser
import BertFormats
import BertModel
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a fine-tuned model: classification, multi-label or regression metrics, NER entity scores, SQuAD EM/F1, perplexity or multiple-choice accuracy.",
        discussion: """
            The CSV layouts are those of `bertkit finetune` (AG News style, or a `text,label` header). Labels \
            are matched to the model's id2label (names, or 1-based numbers in the AG News layout). \
            --problem-type defaults to the model config's problem_type, else single-label.

            - single_label_classification: accuracy, macro F1, loss (cross-entropy), per-class \
            precision/recall/F1 and the confusion matrix.
            - multi_label_classification: a label is on when sigmoid(logit) ≥ --threshold; per-label \
            precision/recall/F1, micro and macro F1, subset (exact-match) accuracy, per-label accuracy \
            and the BCE loss.
            - regression: MSE, MAE, Pearson r and Spearman ρ over every row × target, and per target when \
            there are several (r and ρ are null when one side is constant).

            --task defaults from the model's head. token-classification reads CoNLL/IOB2 text or HF JSONL \
            (formats/ner.md) with the model's id2label and prints seqeval's entity precision, recall and F1 \
            per type with micro, macro and weighted averages (default conlleval chunking; --strict: IOB2 \
            strict mode) and token accuracy; each word is tagged at its first sub-token.

            - question-answering: SQuAD v1.1/v2.0 JSON or HF JSONL; windows and postprocessing as run_qa.py \
            (n-best 20, max answer length 30, for v2 the null answer and --null-score-diff-threshold), then the \
            official SQuAD exact match and F1 (×100); v2 adds HasAns/NoAns and the best thresholds.

            - masked-lm (--data: one document a line): perplexity = exp(mean cross-entropy over the masked \
            tokens) and masked-token accuracy, the masks drawn from --seed (default 0) per document, so two \
            models scored with the same seed see the same masks; --mlm-probability, --whole-word-mask as \
            in finetune. multiple-choice (--data: SWAG CSV or JSONL): accuracy and the loss.

            EXAMPLES
              bertkit evaluate ner.bkm --data golden/data/ner/test.conll --strict --json
              bertkit evaluate agnews.bkm --data golden/data/agnews-mini/test.csv
              bertkit evaluate agnews-folder --data golden/data/text-label.csv --json
              bertkit evaluate topics --data golden/data/problems/topics.csv --threshold 0.4
              bertkit evaluate sentiment.bkm --data golden/data/problems/sentiment.csv --json
              bertkit evaluate qa.bkm --data golden/data/squad-mini/dev.jsonl --max-seq-len 96 --json
            """)

    @Argument(help: "A fine-tuned model: folder, weights file or .bkm.") var model: String
    @Option(help: "\(FinetuneTask.allCases.map(\.rawValue).joined(separator: ", ")) (default: the model's head).")
    var task: String?
    @Option(help: "The labelled data: a CSV (sequence classification), CoNLL/IOB2 or JSONL (token classification), SQuAD JSON or JSONL (question answering), text lines (masked LM), SWAG CSV or JSONL (multiple choice).") var data: String
    @Option(help: "single_label_classification, multi_label_classification or regression (default: the model config's problem_type).")
    var problemType: String?
    @Option(help: "Multi-label: the probability at which a label is on.") var threshold = 0.5
    @Option(help: "Tokens per text at most.") var maxLength = 128
    @Option(help: "Rows per batch.") var batchSize = 32
    @Flag(help: "Skip malformed rows, unknown labels and empty texts instead of stopping.") var skipBadRows = false
    @Flag(help: "token-classification: seqeval's strict IOB2 mode (and refuse an I- tag that does not continue its entity).")
    var strict = false
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Question answering: write run_qa's predictions.json (id → answer) here.") var predictions: String?
    @OptionGroup var qa: QuestionAnsweringFlags
    @Option(help: "masked-lm: the share of tokens masked.") var mlmProbability = 0.15
    @Flag(help: "masked-lm: mask whole words (DataCollatorForWholeWordMask).") var wholeWordMask = false
    @Option(help: "masked-lm: the masking seed (the same seed scores two models on the same masks).") var seed: UInt64 = 0

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1") }
        _ = try ProblemType(option: problemType)
    }

    func run() throws {
        try runReportingErrors {
            let m = try BertModel(checkpoint: CheckpointLoader.load(path: model))
            switch try FinetuneTask(option: task, head: m.head) {
            case .sequenceClassification: try sequenceClassification(m)
            case .tokenClassification: try tokenClassification(m)
            case .questionAnswering: try questionAnswering(m)
            case .maskedLM: try maskedLM(m)
            case .multipleChoice: try multipleChoice(m)
            }
        }
    }

    func sequenceClassification(_ m: BertModel) throws {
        guard m.head == .sequenceClassification else { throw ModelError.noClassifier }
        let problem = try ProblemType(option: problemType) ?? m.config.problemType ?? .singleLabel
        let d = try LabelledDataset(contentsOf: data, labels: m.config.id2label, problem: problem, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(data) \(s)") }
        switch problem {
        case .singleLabel: try singleLabel(m, d)
        case .multiLabel:
            let logits = try m.classifierLogits(d, batchSize: batchSize, maxLength: maxLength)
            let mt = MultiLabelMetrics(labels: m.config.id2label, truth: d.examples.flatMap(\.values), logits: logits,
                                       threshold: threshold)
            if json { return try Console.outJSON(mt) }
            Console.out(table(mt))
        case .regression:
            let logits = try m.classifierLogits(d, batchSize: batchSize, maxLength: maxLength)
            let mt = RegressionMetrics(labels: m.config.id2label, truth: d.examples.flatMap(\.values), predicted: logits)
            if json { return try Console.outJSON(mt) }
            Console.out(table(mt))
        }
    }

    func singleLabel(_ m: BertModel, _ d: LabelledDataset) throws {
        let r = try ClassifierEvaluation.run(model: m, dataset: d, batchSize: batchSize, maxLength: maxLength)
        let mt = r.metrics
        if json {
            try Console.outJSON(mt)
            return
        }
        var lines = ["accuracy \(String(format: "%.4f", mt.accuracy)) (\(mt.count) rows), macro F1 \(String(format: "%.4f", mt.macroF1)), loss \(String(format: "%.4f", r.loss))",
                     "", "label                precision  recall     f1  support"]
        for p in mt.perClass {
            lines.append(p.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                         + String(format: " %9.4f %7.4f %6.4f %8d", p.precision, p.recall, p.f1, p.support))
        }
        lines += ["", "confusion (rows: true label, columns: predicted)"]
        for (k, row) in mt.confusion.enumerated() {
            lines.append(mt.labels[k].padding(toLength: 20, withPad: " ", startingAt: 0) + row.map { String(format: "%6d", $0) }.joined())
        }
        Console.out(lines.joined(separator: "\n"))
    }

    func table(_ mt: MultiLabelMetrics) -> String {
        let f = { (x: Double) in String(format: "%.4f", x) }
        var lines = ["subset accuracy \(f(mt.subsetAccuracy)) (\(mt.count) rows), label accuracy \(f(mt.labelAccuracy)), "
                     + "micro F1 \(f(mt.microF1)), macro F1 \(f(mt.macroF1)), loss \(f(mt.loss)) at threshold \(mt.threshold)",
                     "", "label                precision  recall     f1  support"]
        for p in mt.perLabel {
            lines.append(p.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                         + String(format: " %9.4f %7.4f %6.4f %8d", p.precision, p.recall, p.f1, p.support))
        }
        lines.append("micro".padding(toLength: 20, withPad: " ", startingAt: 0)
                     + String(format: " %9.4f %7.4f %6.4f", mt.microPrecision, mt.microRecall, mt.microF1))
        return lines.joined(separator: "\n")
    }

    func table(_ mt: RegressionMetrics) -> String {
        let f = { (x: Double?) in x.map { String(format: "%.4f", $0) } ?? "n/a" }
        var lines = ["MSE \(f(mt.mse)), MAE \(f(mt.mae)), Pearson r \(f(mt.pearson)), Spearman ρ \(f(mt.spearman)) (\(mt.count) rows)"]
        if !mt.perTarget.isEmpty {
            lines += ["", "target                    mse      mae  pearson spearman"]
            for t in mt.perTarget {
                lines.append(t.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                             + [t.mse, t.mae, t.pearson, t.spearman].map { String(repeating: " ", count: max(1, 9 - f($0).count)) + f($0) }.joined())
            }
        }
        return lines.joined(separator: "\n")
    }
}
