import ArgumentParser
import BertFormats
import BertModel
import BertVerify
import Foundation

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record every activation tap of a forward into a golden file.",
        discussion: """
            Runs MODEL on the texts and writes the inputs and every tap, named by transformers' module \
            paths, in the layout of formats/golden.md (a safetensors file): embeddings; per layer \
            attention.probs, attention.self, attention, intermediate, output; then pooler, the head's taps \
            (cls.predictions, cls.seq_relationship, classifier, qa_outputs with start_logits and end_logits, \
            multiple choice's logits) and sentence_embedding when the model has them, and the architecture \
            in the metadata. `bertkit verify` reads it back, against this or another model (for example the \
            same model converted to f16).

            EXAMPLES
              bertkit dump .cache/models/all-MiniLM-L6-v2 'Hello, world!' 'Go!' -o minilm.acts.safetensors
              bertkit verify minilm-f16.bkm minilm.acts.safetensors --atol 2e-2 --rtol 1e-2
            """)

    @OptionGroup var inputs: TextInputs
    @Option(name: .shortAndLong, help: "The golden file to write (.safetensors).") var output: String

    func validate() throws { try inputs.requireTexts() }

    func run() throws {
        try runReportingErrors {
            let (model, encoded, texts) = try inputs.load()
            // A masked-LM head's output is its logits at every position: the head's tap.
            let mlm = model.head.hasMaskedLM
            let buffers = model.makeBuffers(batch: encoded.input.batch, seq: encoded.input.seq, keepEveryLayer: true,
                                            allPredictions: mlm)
            try model.forward(encoded.input, into: buffers)
            let taps = Tap.all(for: model, predictions: mlm).map { t in
                (name: t.description, shape: buffers.shape(of: t, config: model.config),
                 values: buffers.values(of: t, config: model.config)!)
            }
            try GoldenFile.write(path: output, input: encoded.input, taps: taps, texts: texts, source: inputs.model,
                                 architecture: model.architecture.className)
            Console.log("wrote \(taps.count) taps for \(encoded.input.batch)×\(encoded.input.seq) tokens to \(output)")
        }
    }
}
