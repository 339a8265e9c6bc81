import BertTensors
import Foundation

/// How to load a model.
public struct LoadOptions: Sendable {
    /// A config.json to use instead of the folder's (required for a bare weights file).
    public var configOverride: String?
    /// A vocab.txt or tokenizer.json to use instead of the folder's.
    public var vocabOverride: String?
    /// Compute SHA-256 of every source file for the provenance (costs one read of each file).
    public var hashSources = false
    /// For .bkm files: verify every tensor's checksum on load (the default), or none.
    public var verifyChecksums = true

    public init(configOverride: String? = nil, vocabOverride: String? = nil, hashSources: Bool = false, verifyChecksums: Bool = true) {
        self.configOverride = configOverride
        self.vocabOverride = vocabOverride
        self.hashSources = hashSources
        self.verifyChecksums = verifyChecksums
    }
}

/// A model's files as read, before binding to BERT's parameter table: what `inspect` shows
/// even when the tensors do not make a model of the config (or there is no config).
public struct RawModel: Sendable {
    public var source: ModelSource
    public var config: BertConfig?
    public var vocabulary: Vocabulary?
    public var tokenizer: TokenizerSettings?
    /// The tokenizer files byte for byte (see `Checkpoint.tokenizerFiles`).
    public var tokenizerFiles: [String: [UInt8]] = [:]
    public var sentenceTransformers: SentenceTransformersSettings?
    /// The tensors under the names the file gives them.
    public var tensors: NamedTensors
    /// The sentence-transformers Dense modules' tensors (`sentence_transformers.<path>.linear.*`).
    public var moduleTensors: [(name: String, tensor: RawTensor)] = []
    /// Every file read, weights last (shards in order).
    public var files: [String]
    /// The file the vocabulary came from (vocab.txt or tokenizer.json).
    public var vocabularyFile: String?
    public var warnings: [String] = []

    /// Binds the tensors to the config strictly (see `Checkpoint.bind`).
    public func bind(provenance: Provenance = Provenance()) throws -> Checkpoint {
        guard let config else { throw LoadError.needsConfig(weights: source.weights, folderConfig: Self.folderConfig(beside: source.weights)) }
        var c = try Checkpoint.bind(config: config, tensors: tensors, vocabulary: vocabulary, tokenizer: tokenizer,
                                    sentenceTransformers: sentenceTransformers, moduleTensors: moduleTensors, provenance: provenance,
                                    vocabularyFile: vocabularyFile, configFile: source.config)
        c.tokenizerFiles = tokenizerFiles
        c.report.warnings += warnings
        return c
    }

    static func folderConfig(beside file: String) -> String? {
        let c = URL(fileURLWithPath: file).deletingLastPathComponent().path + "/config.json"
        return FileManager.default.fileExists(atPath: c) ? c : nil
    }
}

/// Opens any model bertkit reads — a HuggingFace folder, a bare weights file with a config, or a
/// .bkm — as a `Checkpoint`, loading strictly (transformers' `from_pretrained` load report, but
/// every missing tensor or wrong shape is an error).
public enum CheckpointLoader {
    public static func load(path: String, configOverride: String? = nil, vocabOverride: String? = nil) throws -> Checkpoint {
        try load(path: path, options: LoadOptions(configOverride: configOverride, vocabOverride: vocabOverride))
    }

    public static func load(path: String, options: LoadOptions) throws -> Checkpoint {
        let source = try ModelSource(path: path, configOverride: options.configOverride, vocabOverride: options.vocabOverride)
        if source.format == .bkm {
            return try BKMFile.open(path: source.weights).checkpoint(verify: options.verifyChecksums)
        }
        let raw = try readRaw(source)
        return try raw.bind(provenance: provenance(of: raw, hash: options.hashSources))
    }

    /// The model's files without binding (tensors under their file names).
    public static func readRaw(path: String, configOverride: String? = nil, vocabOverride: String? = nil) throws -> RawModel {
        try readRaw(ModelSource(path: path, configOverride: configOverride, vocabOverride: vocabOverride))
    }

    public static func readRaw(_ source: ModelSource) throws -> RawModel {
        var warnings: [String] = []
        var files: [String] = []
        let config = try source.config.map { try BertConfig(contentsOf: $0) }
        if let c = source.config { files.append(c) }

        // One reader for every tokenizer (TokenizerFiles), so `bertkit tokenize` on a folder and on
        // its .bkm agree.
        var vocabulary: Vocabulary?
        var tokenizer: TokenizerSettings?
        var verbatim: [String: [UInt8]] = [:]
        let tokenizerFiles = source.tokenizerFiles(modelType: config?.modelType)
        if let (v, t) = try tokenizerFiles.read() {
            (vocabulary, tokenizer) = (v, t)
            verbatim = try tokenizerFiles.verbatim()
            files += tokenizerFiles.used
            files += tokenizerFiles.verbatimPaths.map(\.path).filter { !files.contains($0) }
            if source.tokenizerConfig == nil, v != nil, source.vocabTxt != nil {
                warnings.append("no tokenizer_config.json: using BertTokenizer's defaults (lowercasing on)")
            }
        } else if source.isFolder {
            warnings.append("no vocab.txt, tokenizer.json, vocab.json + merges.txt or SentencePiece model: the model has no tokenizer")
        }

        var sentence: SentenceTransformers.Folder?
        if let m = source.modules {
            sentence = try SentenceTransformers.read(modules: m, hiddenSize: config?.hiddenSize)
            files += sentence!.files
        }

        let tensors: NamedTensors
        switch source.format {
        case .safetensors:
            tensors = try SafeTensorsFile.read(path: source.weights).named
            files.append(source.weights)
        case .shardedSafetensors:
            let s = try ShardedSafeTensors.read(indexPath: source.weights)
            tensors = s.tensors
            files += [source.weights] + s.shardPaths
        case .pytorchBin:
            tensors = try PyTorchBinReader.read(path: source.weights)
            files.append(source.weights)
        case .hdf5:
            tensors = try HDF5Reader.read(path: source.weights)
            files.append(source.weights)
        case .bkm:
            let b = try BKMFile.open(path: source.weights)
            let (parameters, modules) = try b.split(verify: false)
            return RawModel(source: source, config: b.config, vocabulary: b.vocabulary, tokenizer: b.tokenizer,
                            tokenizerFiles: b.tokenizerFiles, sentenceTransformers: b.sentenceTransformers, tensors: parameters,
                            moduleTensors: modules, files: [source.weights])
        }
        return RawModel(source: source, config: config, vocabulary: vocabulary, tokenizer: tokenizer, tokenizerFiles: verbatim,
                        sentenceTransformers: sentence?.settings, tensors: tensors, moduleTensors: sentence?.tensors ?? [],
                        files: files, vocabularyFile: tokenizerFiles.vocabularyFile, warnings: warnings)
    }

    /// Source files (name, size, SHA-256 when `hash`), the tool version and the time.
    public static func provenance(of raw: RawModel, hash: Bool) throws -> Provenance {
        var p = Provenance()
        p.sources = try raw.files.map { f in
            var st = stat()
            let size = stat(f, &st) == 0 ? Int(st.st_size) : 0  // not attributesOfItem: it looks up the owner's name
            return Provenance.Source(file: displayName(f, in: raw.source), sha256: hash ? try FileDigest.sha256(path: f) : "", bytes: size)
        }
        p.tool = "bertkit \(BertKitVersion.string)"
        p.created = Provenance.now()
        p.sourceFormat = raw.source.format.rawValue
        return p
    }

    /// Files inside the model folder by their relative name; others by their path as given.
    static func displayName(_ file: String, in source: ModelSource) -> String {
        guard source.isFolder else { return file }
        let dir = source.path.hasSuffix("/") ? source.path : source.path + "/"
        return file.hasPrefix(dir) ? String(file.dropFirst(dir.count)) : file
    }
}

extension Provenance {
    /// The current time, ISO 8601 UTC to the second.
    public static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
