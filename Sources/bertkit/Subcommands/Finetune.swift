import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertVerify
import Foundation

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a BERT-family model: sequence classification or regression (CSV), token classification / NER (CoNLL or JSONL).",
        discussion: """
            --task picks what is trained (default: the model's own head; an encoder or a pre-training \
            head gets a sequence classifier). A head the checkpoint lacks is created as transformers' \
            _init_weights does (Linear weights normal(0, initializer_range) from --seed, biases zero; an MLM \
            head's LayerNorm ones and zeros, its decoder tied to the word embeddings) and the new weights are \
            listed. With --eval the model is scored after training, and every --eval-every steps \
            (`Eval at step N: …` lines, marked on --plot).

            sequence-classification: \
            The CSV is either AG News style (no header; first column the class, 1-based or a label name; \
            the other columns joined as the text) or has a header with `text` and `label` columns. A bad \
            row (malformed, unknown label, empty text, bad number) stops with its file:line (exit 2) unless \
            --skip-bad-rows.

            question-answering: \
            SQuAD v1.1/v2.0 JSON or the JSONL HF datasets export (formats/squad.md); an answer_start that does not \
            match its text stops with the JSON path or line (exit 2) unless --skip-bad-rows. Windows as run_qa.py: \
            --max-seq-len 384, --doc-stride 128, the first answer mapped to token positions, [CLS] where a window \
            lacks it (--max-length does not apply). The report metric is span accuracy (start and end both right); \
            --eval gives SQuAD exact match and F1.

            --problem-type is transformers' problem_type (default: the model config's, else \
            single_label_classification) and picks the loss as BertForSequenceClassification does; it is \
            written to the saved config.json.
            - single_label_classification: cross-entropy; the label is one name or class number.
            - multi_label_classification: BCE-with-logits; the label lists names or 1-based class numbers \
            separated by `;` (empty: no label on); `text,label` CSV only.
            - regression: MSE; the label is one number per label, `;`-separated (how many: --num-labels, \
            else the model head's count, else the count in the CSV's first row); `text,label` CSV only.

            An encoder checkpoint gets a new classifier (normal(0, initializer_range) weights, zero bias, \
            from --seed) as transformers does, and the new weights are listed. Batches are padded to their \
            longest row. The model trains as transformers' model.train() does: dropout at the config's rates \
            (hidden, attention probabilities, classifier), with masks drawn from --seed and the step number, \
            so a --resume'd run drops exactly what an uninterrupted one would; --no-dropout turns it off. \
            Every --report-every steps a line `Loss = …, Accuracy = …` (averaged since the last \
            one) goes to stdout; for multi-label the accuracy is per label (row × label decisions at \
            probability 0.5), and regression reports `Loss = …, MAE = …` (the loss is the MSE). Adam's state is saved \
            beside OUT (OUT.optim.safetensors, or optimizer.safetensors inside a folder) so --resume continues. Ctrl-C saves a resumable \
            checkpoint; a NaN loss stops training and keeps the last good one.

            token-classification (NER): --train and --eval are CoNLL-2003/IOB2 text (a token per line, the \
            tag in the last column, a blank line between sentences, -DOCSTART- skipped) or HF JSONL \
            {"tokens": [...], "ner_tags": [...]} with tag names, or indices into --labels (formats/ner.md). \
            The labels are --labels, else a token classifier's own, else the training file's tags, sorted. \
            As run_ner.py, the first sub-token of each word is labelled and the others ignored \
            (--label-all-tokens labels them too, B- turned into I-). --strict refuses an I- tag that does \
            not continue its entity (IOB2) and scores --eval in seqeval's strict mode. Report lines are \
            `Loss = …, F1 = …` (entity F1 of the batches since the last line); --eval prints entity F1, \
            precision, recall and token accuracy. A bad line stops with its file:line (exit 2) unless \
            --skip-bad-rows, which leaves out and reports the sentences holding one.
            masked-lm: --train is plain text, one document a line (formats/text-lines.md; a blank line \
            stops with its file:line unless --skip-bad-rows). Each step masks its documents afresh as \
            DataCollatorForLanguageModeling: --mlm-probability (0.15) of the non-special tokens, of those \
            80% [MASK], 10% a random token, 10% kept; --whole-word-mask picks whole words (a token and its \
            ## pieces) as DataCollatorForWholeWordMask. Masks come from --seed and the step, so --resume \
            masks what an uninterrupted run would. Reports `Masked accuracy`; --eval scores perplexity.
            multiple-choice: --train is a SWAG CSV (sent1, sent2, ending0…, label) or JSONL \
            (formats/multiple-choice.md); choice i is (sent1, "sent2 ending_i") as run_swag.py builds it. \
            --batch-size counts examples (each is C rows). Reports `Accuracy`.

            EXAMPLES
              bertkit finetune .cache/models/all-MiniLM-L6-v2 --task token-classification \
                  --train golden/data/ner/train.conll --eval golden/data/ner/test.conll --eval-every 25 \
                  --lr 3e-4 --steps 75 --max-length 32 -o ner.bkm
              bertkit finetune .cache/models/all-MiniLM-L6-v2 --train golden/data/agnews-mini/train.csv \\
                  --labels World,Sports,Business,Sci/Tech --lr 5e-5 --epochs 2 --max-length 64 -o agnews.bkm
              bertkit finetune agnews.bkm --train more.csv --steps 100 --resume agnews.bkm.optim.safetensors -o agnews2.bkm
              bertkit finetune model --train data.csv --num-labels 3 --reset-head --plot curve.svg -o out-folder
              bertkit finetune golden/fixtures/tiny-bert --train golden/data/problems/topics.csv \
                  --problem-type multi_label_classification --labels sport,money,tech --lr 1e-2 --steps 20 -o topics
              bertkit finetune golden/fixtures/tiny-bert --train golden/data/problems/sentiment.csv \
                  --problem-type regression --num-labels 1 --lr 1e-2 --steps 30 -o sentiment.bkm
              bertkit finetune .cache/models/all-MiniLM-L6-v2 --task question-answering --train golden/data/squad-mini/train.json \
                  --eval golden/data/squad-mini/dev.jsonl --max-seq-len 96 --lr 2e-4 --steps 45 -o qa.bkm
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Option(help: "\(FinetuneTask.allCases.map(\.rawValue).joined(separator: ", ")) (default: the model's head; sequence-classification for an encoder or a pre-training head).")
    var task: String?
    @Option(help: "The training data: a CSV (sequence classification), CoNLL/IOB2 or JSONL (token classification), SQuAD JSON or JSONL (question answering), text lines (masked LM), SWAG CSV or JSONL (multiple choice).") var train: String
    @Option(help: "Data to evaluate on after training (and every --eval-every steps), in --train's layout.") var eval: String?
    @Option(help: "Steps between evaluations on --eval (default: only after training).") var evalEvery: Int?
    @Option(help: "single_label_classification, multi_label_classification or regression (default: the model config's problem_type, else single-label).")
    var problemType: String?
    @Option(help: "Number of labels (names LABEL_0…); for regression, targets per row.") var numLabels: Int?
    @Option(help: "Label names, comma-separated, in class order.") var labels: String?
    @Option(help: "Learning rate.") var lr: Float = 2e-5
    @Option(help: "Rows per batch.") var batchSize = 8
    @Option(help: "Optimizer steps (default: --epochs).") var steps: Int?
    @Option(help: "Epochs over the training CSV.") var epochs: Double?
    @Option(help: "Tokens per text at most.") var maxLength = 128
    @Option(help: "adam or adamw.") var optimizer = "adamw"
    @Option(help: "Weight decay (L2 for adam, decoupled for adamw).") var weightDecay: Float = 0
    @Option(help: "Linear warmup steps, then linear decay to 0.") var warmupSteps: Int?
    @Option(help: "Clip the gradient norm to this.") var clipNorm: Float?
    @Option(help: "Seed for the new head, the shuffles and the dropout masks.") var seed: UInt64 = 42
    @Flag(inversion: .prefixedNo, help: "Shuffle each epoch.") var shuffle = true
    @Flag(inversion: .prefixedNo, help: "Dropout at the config's rates, as transformers trains (masks from --seed and the step).")
    var dropout = true
    @Option(help: "Steps between report lines.") var reportEvery = 50
    @Option(help: "Write an SVG training curve: the loss and the task's metric in panels over the step axis, --eval points marked.") var plot: String?
    @Flag(help: "Skip malformed rows, unknown labels and empty texts instead of stopping.") var skipBadRows = false
    @Flag(help: "Replace an existing classifier head.") var resetHead = false
    @Flag(help: "token-classification: label every sub-token, B- turned into I- on continuations (run_ner.py's label_all_tokens).")
    var labelAllTokens = false
    @Flag(help: "token-classification: IOB2 strict: refuse an I- tag that does not continue its entity; --eval scores in seqeval's strict mode.")
    var strict = false
    @Option(help: "Optimizer state to continue from.") var resume: String?
    @Option(name: .shortAndLong, help: "The fine-tuned model: .bkm or a folder.") var output: String
    @OptionGroup var qa: QuestionAnsweringFlags
    @Option(help: "masked-lm: the share of tokens masked (DataCollatorForLanguageModeling's mlm_probability).") var mlmProbability = 0.15
    @Flag(help: "masked-lm: mask whole words (a token and its ## pieces), as DataCollatorForWholeWordMask.") var wholeWordMask = false

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard reportEvery >= 1 else { throw ValidationError("--report-every must be at least 1") }
        if let e = evalEvery {
            guard e >= 1 else { throw ValidationError("--eval-every must be at least 1") }
            guard eval != nil else { throw ValidationError("--eval-every needs --eval") }
        }
        guard ["adam", "adamw"].contains(optimizer) else { throw ValidationError("--optimizer is adam or adamw") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let s = steps, s < 1 { throw ValidationError("--steps must be at least 1") }
        if numLabels != nil && labels != nil { throw ValidationError("give --num-labels or --labels, not both") }
        if let n = numLabels, n < 1 { throw ValidationError("--num-labels must be at least 1") }
        _ = try ProblemType(option: problemType)
    }

    func run() throws {
        try runReportingErrors {
            let source = try CheckpointLoader.load(path: model)
            for w in source.report.warnings { Console.log("warning: \(w)") }
            // ELECTRA's discriminator: no loss to train it with, and its head shares the classifier's
            // canonical names, so a new classifier over it is refused too rather than half reused.
            if source.architecture.head == .replacedTokenDetection || task == HeadKind.replacedTokenDetection.rawValue {
                throw ValidationError("\(EncoderFamily.electra.className(.replacedTokenDetection)) (replaced-token-detection) does not fine-tune: "
                                      + BertModel.replacedTokenDetectionUntrained)
            }
            switch try FinetuneTask(option: task, head: source.architecture.head) {
            case .sequenceClassification: try runSequenceClassification(source)
            case .tokenClassification: try runTokenClassification(source)
            case .questionAnswering: try runQuestionAnswering(source)
            case .maskedLM: try runMaskedLM(source)
            case .multipleChoice: try runMultipleChoice(source)
            }
        }
    }

    /// What a task's file hands to `train`: the model with its head, the batches, and an
    /// evaluation for --eval.
    struct Plan {
        var checkpoint: Checkpoint
        /// The tensors `forHead` created, for transformers' "newly initialized" report.
        var created: [String]
        /// Sequence classification's loss (nil for every other task).
        var problem: ProblemType?
        var source: (BertModel) throws -> any TrainingBatchSource
        /// The --eval figures at a step; nil without --eval.
        var evaluate: ((BertModel, Int) throws -> EvalPoint)?
    }

    /// The loop every task shares: the new-weights report, optimizer, --resume, report lines and
    /// progress bar, periodic --eval, saving (Ctrl-C and NaN keep the last good state) and --plot.
    func train(_ plan: Plan) throws {
        if !plan.created.isEmpty {
            Console.log("Some weights of \(plan.checkpoint.architecture.className) were not initialized from the model checkpoint at \(model) and are newly initialized: \(plan.created)\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.")
        }
        let m = try BertModel(checkpoint: plan.checkpoint)
        let data = try plan.source(m)
        guard data.count > 0 else { throw FineTuningError.noExamples(path: train) }
        let settings = AdamOptimizer.Settings(kind: optimizer == "adam" ? .adam : .adamw, learningRate: lr, weightDecay: weightDecay)
        let perEpoch = (data.count + batchSize - 1) / batchSize
        let total = steps ?? max(1, Int((Double(perEpoch) * (epochs ?? 1)).rounded()))
        let trainer = Trainer(model: m, optimizer: settings,
                              schedule: warmupSteps.map { .linear(warmupSteps: $0, totalSteps: total) } ?? .constant,
                              clipNorm: clipNorm, problem: plan.problem, dropout: dropout ? nil : .off, seed: seed)
        if let r = resume {
            trainer.optimizer = try OptimizerStateFile.read(path: r, settings: settings, parameterCount: m.parameters.count)
            Console.log("resuming at step \(trainer.optimizer.step) from \(r)")
        }
        var options = FineTuningOptions(steps: total)
        options.batchSize = batchSize
        options.maxLength = maxLength
        options.shuffle = shuffle
        options.seed = seed
        options.reportEvery = reportEvery
        options.evalEvery = evalEvery
        let loop = try FineTuningLoop(trainer: trainer, source: data, options: options, template: plan.checkpoint)
        let good = loop.lastGood!
        let optimizerPath = TrainingSnapshot.optimizerPath(for: output)
        Interrupts.onInterrupt {
            do {
                let step = try good.save(to: output, hold: true)
                Console.log("\ninterrupted at step \(step); saved \(output) (resume with --resume \(optimizerPath))")
            } catch {
                Console.error("interrupted; could not save: \(error.localizedDescription)")
            }
            // _exit, not exit: exit() runs OpenBLAS's destructor, which joins its worker threads and
            // can hang forever while the main thread is inside a GEMM.
            fflush(nil)
            _exit(130)
        }
        let started = Date()
        var bar = ProgressLine(enabled: Console.stdoutIsTerminal)
        let firstStep = trainer.optimizer.step
        var final: EvalPoint?
        do {
            try loop.run(onStep: { _, running in
                let step = running.step
                let secs = Date().timeIntervalSince(started)
                let done = step - firstStep  // this run's steps (a resumed run starts past 0)
                let rate = Double(done * batchSize) / max(secs, 1e-9)
                let eta = Int((Double(total - step) * secs / Double(max(done, 1))).rounded())
                bar.show("step \(step)/\(total)  loss \(String(format: "%.4f", running.loss))  "
                         + "\(running.metricName.lowercased()) \(String(format: "%.4f", running.metric))  "
                         + "\(String(format: "%.1f", rate)) seq/s  ETA \(eta)s")
            }, onReport: { rep in
                bar.clear()
                Console.out("Step \(rep.step): Loss = \(String(format: "%.4f", rep.loss)), \(rep.metricName) = \(String(format: "%.4f", rep.metric))")
            }, evaluate: plan.evaluate.map { e in { step in try e(m, step) } }, onEval: { p in
                bar.clear()
                if p.step == total { final = p } else { Console.out("Eval at step \(p.step): \(p.summary)") }
            })
        } catch let e as FineTuningError {
            bar.clear()
            try good.save(to: output, hold: true)
            throw e
        }
        bar.clear()
        try good.save(to: output)
        Console.log("saved \(output) and \(optimizerPath) after \(trainer.optimizer.step) steps")
        if let p = plot { try writePlot(loop.reports, loop.evalPoints, to: p) }
        // A resumed run that had nothing left to do still scores the model.
        if final == nil, let e = plan.evaluate { final = try e(m, trainer.optimizer.step) }
        if let f = final { Console.out("Eval \(f.summary)") }
    }

    func writePlot(_ reports: [TrainingReport], _ evals: [EvalPoint], to path: String) throws {
        let svg = TrainingCurve.svg(title: TrainingCurve.modelName(model), reports: reports, evalPoints: evals)
        try AtomicFileWriter.write(Data(svg.utf8), to: path)
    }
}

/// The --task values: every head that fine-tunes. Without --task, a task head's model trains its own
/// task; an encoder or a pre-training head (MLM, NSP) gets a sequence classifier, as before --task.
enum FinetuneTask: String, CaseIterable {
    case sequenceClassification = "sequence-classification"
    case tokenClassification = "token-classification"
    case questionAnswering = "question-answering"
    case maskedLM = "masked-lm"
    case multipleChoice = "multiple-choice"

    init(option: String?, head: HeadKind) throws {
        if let o = option {
            guard let t = FinetuneTask(rawValue: o) else {
                throw ValidationError("--task is one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(o)\"")
            }
            self = t
        } else {
            self = FinetuneTask(rawValue: head.rawValue) ?? .sequenceClassification
        }
    }

    var head: HeadKind { HeadKind(rawValue: rawValue)! }
}

/// One overwritten status line on stderr, only when stdout is a terminal.
struct ProgressLine {
    let enabled: Bool
    mutating func show(_ s: String) { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K\(s)".utf8)) } }
    mutating func clear() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

extension ProblemType {
    /// The --problem-type value; nil when not given.
    init?(option: String?) throws {
        guard let o = option else { return nil }
        guard let p = ProblemType(rawValue: o) else {
            throw ValidationError("--problem-type is single_label_classification, multi_label_classification or regression, found \"\(o)\"")
        }
        self = p
    }
}
