import ArgumentParser
import BertFormats
import BertModel
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the forward pass at one batch shape.",
        discussion: """
            Runs the whole forward (embeddings, every layer, pooler and heads) on synthetic token ids \
            (every position real): --warmup runs first, then --runs timed runs. Prints the median time \
            per batch, sequences per second, achieved GFLOPS (multiply-adds count 2; attention included), \
            the BLAS kernels in use and the peak resident memory (getrusage).

            --threads sets OpenBLAS's threads for the GEMMs and bertkit's workers for everything else \
            (default: every CPU). Forwards of at most 256 rows (batch × seq) run the encoder's GEMMs on \
            a copy of its weights packed once, on first use (--no-packed: OpenBLAS throughout). \
            golden/bench.sh runs this next to PyTorch, ONNX Runtime, OpenVINO and CTranslate2.

            EXAMPLES
              bertkit bench .cache/models/all-MiniLM-L6-v2
              bertkit bench model.bkm --batch 1 --seq 128 --threads 2 --json
              bertkit bench .cache/models/all-MiniLM-L6-v2 --train      # one fine-tuning step
              bertkit bench .cache/models/all-MiniLM-L6-v2 --train --no-dropout
              bertkit bench golden/fixtures/train-heads/masked-lm --train --task masked-lm

            --train puts a new sequence-classification head on the model (keeping one it has) and times \
            its step; with --task it times the model's own head instead, which must be that head.
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Option(help: "Sequences per batch.") var batch = 8
    @Option(help: "Tokens per sequence.") var seq = 128
    @Option(help: "Threads (default: every CPU).") var threads: Int?
    @Option(help: "Untimed runs first.") var warmup = 3
    @Option(help: "Timed runs.") var runs = 10
    @Flag(help: "Also print the time spent in each phase of the forward.") var profile = false
    @Flag(help: "Time one training step (forward, backward, AdamW update) instead of the forward.") var train = false
    @Flag(inversion: .prefixedNo, help: "With --train: dropout at the config's rates, as in training.") var dropout = true
    @Option(help: ArgumentHelp("With --train: the model's own head to train, on synthetic targets.",
                               valueName: HeadKind.allCases.filter { $0 != .none }.map(\.rawValue).joined(separator: "|")))
    var task: String?
    @Flag(inversion: .prefixedNo,
          help: "Forwards of at most 256 rows (batch × seq) run the encoder's GEMMs on weights packed once; --no-packed: OpenBLAS for every GEMM.")
    var packed = true
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var files: ModelFiles

    func validate() throws {
        guard batch >= 1, seq >= 1 else { throw ValidationError("--batch and --seq must be at least 1") }
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be at least 1 and --warmup at least 0") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let task {
            guard train else { throw ValidationError("--task needs --train") }
            guard let h = HeadKind(rawValue: task), h != .none else {
                throw ValidationError("--task \(task) is not a head bertkit trains; use one of "
                                      + HeadKind.allCases.filter { $0 != .none }.map(\.rawValue).joined(separator: ", "))
            }
        }
    }

    func run() throws {
        try runReportingErrors {
            if let t = threads { ComputeThreads.set(t) }
            if train { return try runTraining() }
            let m = try BertModel(checkpoint: files.load(model))
            let c = m.config
            guard seq <= c.maxSequenceLength else {
                throw ValidationError("--seq \(seq) is longer than the model's \(c.maxSequenceLength) positions")
            }
            ForwardProfile.enabled = profile
            let r = try ForwardBenchmark.run(model: m, batch: batch, seq: seq, warmup: warmup, runs: runs,
                                                packedWeights: packed)
            if json {
                try Console.outJSON(r, pretty: false)  // one line per run: golden/bench.sh reads lines
                return
            }
            Console.out("""
                \(model): \(c.numHiddenLayers) layers, hidden \(c.hiddenSize), \(String(format: "%.1f", Double(m.parameters.count) / 1e6))M parameters
                shape \(batch)×\(seq), \(r.threads) thread\(r.threads == 1 ? "" : "s"), BLAS core \(r.blasCore), kernels \(r.kernels)
                \(String(format: "%.2f", r.medianMs)) ms per batch (median of \(r.runs); min \(String(format: "%.2f", r.minMs)); CPU \(String(format: "%.2f", r.cpuMsPerBatch)) ms)
                \(String(format: "%.1f", r.sequencesPerSecond)) sequences/s, \(String(format: "%.1f", r.gflops)) GFLOPS
                peak RSS \(String(format: "%.0f", r.peakRSSMiB)) MiB (parameters \(String(format: "%.0f", r.parameterMiB)) MiB, activations \(String(format: "%.0f", r.bufferMiB)) MiB, packed weights \(String(format: "%.0f", r.packedWeightMiB)) MiB)
                """)
            if profile {
                let all = ForwardProfile.seconds, total = all.reduce(0) { $0 + $1.1 }
                for (phase, sec) in all {
                    Console.out("  " + phase.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                                + String(format: "%8.2f ms/batch  %5.1f%%", sec * 1000 / Double(runs + warmup), 100 * sec / total))
                }
            }
        }
    }

    /// --train: the model with a 2-label head (new when it has none), one full step timed.
    private func runTraining() throws {
        let source = try files.load(model)
        let checkpoint: Checkpoint
        if let task, let head = HeadKind(rawValue: task) {
            guard source.head == head else {
                throw ValidationError("--task \(task): \(model) is a \(source.architecture.className) (head \(source.head.rawValue)); "
                                      + "--task times the model's own head")
            }
            checkpoint = source
        } else {
            let labels = source.head == .sequenceClassification ? source.config.id2label : ["LABEL_0", "LABEL_1"]
            checkpoint = try source.forSequenceClassification(labels: labels, resetHead: false, seed: 0).0
        }
        let m = try BertModel(checkpoint: checkpoint)
        let c = m.config
        guard seq <= c.maxSequenceLength else {
            throw ValidationError("--seq \(seq) is longer than the model's \(c.maxSequenceLength) positions")
        }
        let r = try TrainingBenchmark.run(model: m, batch: batch, seq: seq, warmup: min(warmup, 2), runs: runs, dropout: dropout)
        if json {
            try Console.outJSON(r, pretty: false)
            return
        }
        Console.out("""
            \(model): training step (forward, backward, AdamW) of the \(r.task) head, \(c.numHiddenLayers) layers, hidden \(c.hiddenSize), dropout \(dropout ? "on" : "off")
            shape \(batch)×\(seq), \(r.threads) thread\(r.threads == 1 ? "" : "s")
            \(String(format: "%.1f", r.medianMs)) ms per step (median of \(r.runs); min \(String(format: "%.1f", r.minMs))), \(String(format: "%.1f", r.sequencesPerSecond)) sequences/s
            peak RSS \(String(format: "%.0f", r.peakRSSMiB)) MiB (parameters + gradients + moments \(String(format: "%.0f", r.parameterMiB)) MiB, activations \(String(format: "%.0f", r.activationMiB)) MiB)
            """)
    }
}
