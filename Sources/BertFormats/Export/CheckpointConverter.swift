import BertTensors
import Foundation

/// `bertkit convert`: load any model bertkit reads and write it in the format the output path names.
public enum CheckpointConverter {
    public struct Options: Sendable {
        public var configOverride: String?
        public var vocabOverride: String?
        /// Store every parameter as this dtype (f32, f16, bf16); nil keeps each tensor's bits.
        public var dtype: DType?
        /// Replace an existing output.
        public var replace = false
        /// Write the model without the tensors that are not its parameters (recorded in the
        /// report and a .bkm's load_report); otherwise they fail the conversion.
        public var dropUnexpected = false
        /// Refuse weights that are NaN or infinite.
        public var strictFinite = false
        /// Builds the checkpoint's tokenizer before anything is written, so a tokenizer that does
        /// not read, or gives ids past the embedding rows, fails the conversion (the tokenizer
        /// library sits beside this one: `Checkpoint.makeTokenizer` there). A WordPiece vocabulary
        /// is held to the rows when the checkpoint is bound, with or without it.
        public var tokenizerCheck: (@Sendable (Checkpoint) throws -> Void)?

        public init(configOverride: String? = nil, vocabOverride: String? = nil, dtype: DType? = nil, replace: Bool = false,
                    dropUnexpected: Bool = false, strictFinite: Bool = false) {
            self.configOverride = configOverride
            self.vocabOverride = vocabOverride
            self.dtype = dtype
            self.replace = replace
            self.dropUnexpected = dropUnexpected
            self.strictFinite = strictFinite
        }
    }

    /// Converts `source` to `output` and returns the checkpoint as written (its report says what
    /// was not carried over). A .bkm output records the sources' SHA-256, hashed on another thread
    /// while the tensors are written; a .bkm source keeps its own provenance.
    @discardableResult
    public static func convert(source: String, output: String, options: Options = Options(),
                               progress: ((Int, Int) -> Void)? = nil) throws -> Checkpoint {
        let format = try OutputFormat.detect(path: output)
        if FileManager.default.fileExists(atPath: output), !options.replace { throw IOError.alreadyExists(path: output) }
        let src = try ModelSource(path: source, configOverride: options.configOverride, vocabOverride: options.vocabOverride)
        var c: Checkpoint
        // The weights file is hashed while everything else is parsed and written.
        let hasher = format == .bkm && src.format != .bkm ? SourceHasher(startingWith: [src.weights]) : nil
        var files: [String] = []
        if src.format == .bkm {
            c = try BKMFile.open(path: src.weights).checkpoint()
        } else {
            let raw = try CheckpointLoader.readRaw(src)
            files = raw.files
            hasher?.start(files)
            c = try raw.bind(provenance: CheckpointLoader.provenance(of: raw, hash: false))
            // A converter that loses tensors without failing is not faithful.
            if !c.report.unexpected.isEmpty, !options.dropUnexpected {
                throw CheckpointError.unexpectedTensors(file: raw.tensors.file, names: c.report.unexpected, layers: c.config.numHiddenLayers)
            }
        }
        try options.tokenizerCheck?(c)
        if let d = options.dtype {
            c = c.converted(to: d)
        } else if (c.parameters + c.moduleTensors).contains(where: { $0.tensor.dtype == .f64 }) {
            let narrowed = { (t: RawTensor) in t.dtype == .f64 ? t.converted(to: .f32) : t }
            c.parameters = c.parameters.map { ($0.name, narrowed($0.tensor)) }
            c.moduleTensors = c.moduleTensors.map { ($0.name, narrowed($0.tensor)) }
            c.report.warnings.append("F64 parameters were stored as F32 (rounded to nearest even)")
        }
        // After rounding: a weight past F16's range becomes infinite.
        if options.strictFinite {
            let bad = c.parameters.compactMap { p -> (name: String, nan: Int, inf: Int)? in
                let s = TensorStats(of: p.tensor)
                return s.nan + s.inf > 0 ? (c.sourceNames[p.name] ?? p.name, s.nan, s.inf) : nil
            }
            if !bad.isEmpty { throw CheckpointError.nonFiniteWeights(file: src.weights, tensors: bad, roundedTo: options.dtype) }
        }
        guard format == .bkm else {
            if format != .huggingFaceFolder, !c.moduleTensors.isEmpty {
                c.report.warnings.append("a .\(format.rawValue) file holds the BERT weights only: the sentence-transformers Dense weights "
                                         + "(\(c.moduleTensors.map(\.name).joined(separator: ", "))) are not in it; a folder or .bkm keeps them")
            }
            try CheckpointExporter.write(c, to: output, replace: options.replace, progress: progress)
            return c
        }
        let sources = c.provenance
        let hashed: (() throws -> Provenance)? = hasher.map { h in
            {
                var p = sources
                p.sources = zip(p.sources, try h.digests(for: files)).map { .init(file: $0.file, sha256: $1, bytes: $0.bytes) }
                return p
            }
        }
        try BKMWriter.write(c, to: output, progress: progress, provenance: hashed)
        if let hashed { c.provenance = try hashed() }
        return c
    }
}
