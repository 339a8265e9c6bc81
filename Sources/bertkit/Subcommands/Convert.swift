import ArgumentParser
import BertFormats
import BertTensors
import BertTokenizer
import Foundation

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model between HuggingFace folders, safetensors, HDF5 and .bkm.",
        discussion: """
            SRC is a HuggingFace model folder, a weights file (.safetensors, model.safetensors.index.json, .h5, \
            .bin) or a .bkm. A bare weights file needs --config (and --vocab to carry a tokenizer).

            The output format follows OUT: .bkm (one self-contained file), .safetensors (HuggingFace names), \
            .h5 (one dataset per state_dict key), or anything else is a folder transformers can load \
            (config.json, vocab.txt, the source's tokenizer files byte for byte, model.safetensors, and for \
            sentence-transformers models modules.json, sentence_bert_config.json, \
            config_sentence_transformers.json and a folder per module, Dense weights included). A .bkm keeps \
            all of that too, so .bkm → folder gives sentence-transformers the same model.

            Without --dtype every tensor keeps its bits. --dtype rounds to nearest even, as PyTorch's .to() \
            does. The output appears only when complete: a failed or interrupted conversion leaves nothing.

            Every tensor of SRC must be a parameter of the model its config describes: a tensor that is not \
            (another model's, or a layer past num_hidden_layers) fails the conversion, naming them all. \
            --drop-unexpected writes the model without them and records them (a .bkm's load_report; \
            "not carried over" below). --force replaces OUT; a folder only when it holds nothing but files \
            the export writes. --strict-finite refuses NaN and infinite weights (after --dtype rounding).

            EXAMPLES
              bertkit convert .cache/models/all-MiniLM-L6-v2 minilm.bkm
              bertkit convert minilm.bkm minilm-hf --dtype f16
              bertkit convert weights.safetensors model.bkm --config config.json --vocab vocab.txt
              bertkit convert model.bkm model.safetensors --force
            """)

    @Argument(help: "The model to read.") var source: String
    @Argument(help: "The output: a .bkm, .safetensors or .h5 file, or a folder.") var output: String
    @Option(help: "Store every parameter as f32, f16 or bf16.") var dtype: String?
    @Option(help: "A config.json for a bare weights file.") var config: String?
    @Option(help: "A vocab.txt or tokenizer.json for a bare weights file.") var vocab: String?
    @Flag(help: "Replace OUT if it exists (a folder only if it holds nothing bertkit would not write).") var force = false
    @Flag(help: "Leave out tensors that are not parameters of the model (recorded in the output's report).") var dropUnexpected = false
    @Flag(help: "Refuse NaN or infinite weights.") var strictFinite = false
    @Flag(help: "Print a JSON summary.") var json = false

    func validate() throws {
        if let d = dtype, DType(userSpelling: d).map({ DType.storable.contains($0) }) != true {
            throw ValidationError("--dtype must be f32, f16 or bf16, not \"\(d)\"")
        }
    }

    func run() throws {
        try runReportingErrors {
            let start = Date()
            let format = try OutputFormat.detect(path: output)
            let bar = ProgressBar(enabled: Console.stdoutIsTerminal && Console.stderrIsTerminal)
            var options = CheckpointConverter.Options(configOverride: config, vocabOverride: vocab, dtype: dtype.flatMap(DType.init(userSpelling:)),
                                                      replace: force, dropUnexpected: dropUnexpected, strictFinite: strictFinite)
            let model = source
            options.tokenizerCheck = { c in _ = try c.makeTokenizer(source: model, configFile: model + " (config)") }
            let c = try CheckpointConverter.convert(source: source, output: output, options: options, progress: bar.update)
            bar.finish()
            report(c, format: format, seconds: Date().timeIntervalSince(start))
        }
    }

    private func report(_ c: Checkpoint, format: OutputFormat, seconds: Double) {
        let all = c.parameters + c.moduleTensors
        let dtypes = Set(all.map(\.tensor.dtype.rawValue)).sorted()
        let count = all.reduce(0) { $0 + $1.tensor.elementCount }, bytes = all.reduce(0) { $0 + $1.tensor.byteCount }
        let r = c.report
        if json {
            let strings = { (a: [String]) in JSONValue.array(a.map { .string($0) }) }
            Console.out(JSONValue.object(JSONObject([
                ("output", .string(output)), ("format", .string(format.rawValue)), ("tensors", .int(all.count)),
                ("parameters", .int(count)), ("bytes", .int(bytes)), ("dtypes", strings(dtypes)),
                ("architecture", .string(c.architecture.className)), ("head", .string(c.head.rawValue)),
                ("dropped", .object(JSONObject([("unused", strings(r.unused)), ("unexpected", strings(r.unexpected)), ("ignored", strings(r.ignored))]))),
                ("tied", strings(r.tied)),
                ("warnings", strings(r.warnings)), ("seconds", .double((seconds * 1000).rounded() / 1000)),
            ])).serialized(indent: 2))
        } else {
            Console.out("wrote \(output) (\(format.rawValue)): \(c.architecture.className), \(all.count) tensors, \(InspectText.grouped(count)) parameters, "
                        + "\(InspectText.grouped(bytes)) bytes of \(dtypes.joined(separator: "/")), in \(String(format: "%.2f", seconds)) s")
        }
        if !r.unused.isEmpty { Console.log("not carried over (unused): " + r.unused.joined(separator: ", ")) }
        if !r.tied.isEmpty { Console.log("stored once (tied): " + r.tied.joined(separator: ", ")) }
        if !r.unexpected.isEmpty { Console.log("not carried over (unexpected, --drop-unexpected): " + r.unexpected.joined(separator: ", ")) }
        if !r.ignored.isEmpty { Console.log("not carried over (buffers): " + r.ignored.joined(separator: ", ")) }
        for w in r.warnings { Console.log("warning: " + w) }
    }
}

/// A one-line progress bar on stderr, for conversions that take a while.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var lastPercent = -1
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        guard percent != lastPercent else { return }
        lastPercent = percent
        drawn = true
        let width = 30, filled = percent * width / 100
        FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(percent)%  \(done >> 20)/\(total >> 20) MiB".utf8))
    }

    func finish() { if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}
