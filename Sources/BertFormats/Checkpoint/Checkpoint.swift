import BertTensors
import Foundation

/// Where a converted model came from, kept inside `.bkm` files.
public struct Provenance: Sendable, Equatable, Codable {
    public struct Source: Sendable, Equatable, Codable {
        public var file: String
        public var sha256: String
        public var bytes: Int
        public init(file: String, sha256: String, bytes: Int) { self.file = file; self.sha256 = sha256; self.bytes = bytes }
    }
    public var sources: [Source] = []
    public var tool: String = ""
    /// ISO 8601, UTC.
    public var created: String = ""
    public var sourceFormat: String = ""
    public init() {}
}

/// What loading found, in the manner of transformers' load report.
public struct LoadReport: Sendable, Equatable {
    /// File names of heads present but not carried (only `.bkm` version 1 files, which dropped the
    /// pre-training heads, list any), and of parameters a conversion to another head leaves out.
    public var unused: [String] = []
    /// File names of tensors that are another parameter by tying (`cls.predictions.decoder.weight`
    /// stored beside the word embeddings it equals), stored once.
    public var tied: [String] = []
    /// File names that are not BERT parameters.
    public var unexpected: [String] = []
    /// Buffers skipped on purpose (`embeddings.position_ids`).
    public var ignored: [String] = []
    /// Parameters bertkit created because the checkpoint had none (a new classifier).
    public var newlyInitialized: [String] = []
    public var warnings: [String] = []
    public init() {}
}

/// A BERT model as files describe it: config, tokenizer data and every parameter by canonical
/// name, still in its stored dtype (nothing is widened to f32 until a model is built).
public struct Checkpoint: Sendable {
    public var config: BertConfig
    /// The encoder, the head, the pooler and the decoder tying.
    public var architecture: Architecture
    public var vocabulary: Vocabulary?
    public var tokenizer: TokenizerSettings?
    /// The tokenizer files as the source had them, byte for byte, by file name (`tokenizer.json`,
    /// `tokenizer_config.json`, …), so an export writes back what `vocab.txt` and the parsed
    /// settings do not hold (truncation, padding, added tokens).
    public var tokenizerFiles: [String: [UInt8]] = [:]
    /// sentence-transformers' modules and settings, when the source is a sentence-transformers model.
    public var sentenceTransformers: SentenceTransformersSettings?
    /// Parameters by canonical name (`BertParameter.name`), in forward order (`Architecture.parameters`).
    public var parameters: [(name: String, tensor: RawTensor)]
    /// The sentence-transformers Dense modules' weights, under `sentenceTransformers.tensorShapes`'
    /// names and in that order.
    public var moduleTensors: [(name: String, tensor: RawTensor)] = []
    /// The name each parameter had in the source file.
    public var sourceNames: [String: String]
    public var provenance: Provenance
    public var report: LoadReport

    public var pooling: SentencePooling? { sentenceTransformers?.pooling }
    public var head: HeadKind { architecture.head }

    public subscript(name: String) -> RawTensor? { parameters.first { $0.name == name }?.tensor }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.tensor.elementCount } }
    public var parameterBytes: Int { parameters.reduce(0) { $0 + $1.tensor.byteCount } }

    public init(config: BertConfig, vocabulary: Vocabulary?, tokenizer: TokenizerSettings?,
                sentenceTransformers: SentenceTransformersSettings? = nil,
                parameters: [(name: String, tensor: RawTensor)], architecture: Architecture? = nil,
                sourceNames: [String: String] = [:], provenance: Provenance = Provenance(), report: LoadReport = LoadReport()) {
        self.config = config
        // Without one, the architecture the parameters imply (for checkpoints built in code).
        let present = Set(parameters.compactMap { BertParameter(name: $0.name) })
        self.architecture = architecture
            ?? (try? Architecture.resolve(config: config, present: present, file: ""))
            ?? Architecture(head: .none, pooler: present.contains(.pooler(.weight)))
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.sentenceTransformers = sentenceTransformers
        self.parameters = parameters
        self.sourceNames = sourceNames
        self.provenance = provenance
        self.report = report
    }

    /// Every parameter stored as `dtype` (f32, f16 or bf16), rounded to nearest even.
    public func converted(to dtype: DType) -> Checkpoint {
        var c = self
        c.parameters = parameters.map { ($0.name, $0.tensor.converted(to: dtype)) }
        c.moduleTensors = moduleTensors.map { ($0.name, $0.tensor.converted(to: dtype)) }
        return c
    }
}
