import Foundation

/// The kinds of weights files bertkit reads.
public enum WeightsFormat: String, Sendable, Codable {
    case safetensors
    case shardedSafetensors = "safetensors-sharded"
    case pytorchBin = "pytorch-bin"
    case hdf5
    case bkm

    /// By extension, then by the first bytes (magic) for anything else.
    public static func detect(path: String) throws -> WeightsFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".index.json") { return .shardedSafetensors }
        if lower.hasSuffix(".bkm") { return .bkm }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .hdf5 }
        if lower.hasSuffix(".bin") || lower.hasSuffix(".pt") || lower.hasSuffix(".pth") { return .pytorchBin }
        guard let h = FileHandle(forReadingAtPath: path) else { throw LoadError.notFound(path: path) }
        defer { try? h.close() }
        let magic = [UInt8]((try? h.read(upToCount: 8)) ?? Data())
        if magic.starts(with: Array("BKM\0".utf8)) { return .bkm }
        if magic.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .pytorchBin }
        if magic.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .hdf5 }
        throw LoadError.unknownFormat(path: path)
    }
}

/// The files that make up a model, found from a folder or a single file plus overrides.
public struct ModelSource: Sendable {
    public var path: String
    public var isFolder: Bool
    public var weights: String
    public var format: WeightsFormat
    public var config: String?
    public var vocabTxt: String?
    public var tokenizerJSON: String?
    public var tokenizerConfig: String?
    public var specialTokensMap: String?
    /// `modules.json`, when the folder is a sentence-transformers model.
    public var modules: String?
    /// The slow tokenizer files of the other families (`TokenizerFiles.slowNames`): vocab.json,
    /// merges.txt, the SentencePiece model.
    public var vocabJSON: String?
    public var mergesTxt: String?
    public var sentencePieceModel: String?

    /// Weights a HuggingFace folder may hold, in the order bertkit prefers them.
    public static let folderWeights: [(name: String, format: WeightsFormat)] = [
        ("model.safetensors", .safetensors),
        ("model.safetensors.index.json", .shardedSafetensors),
        ("pytorch_model.bin", .pytorchBin),
        ("tf_model.h5", .hdf5),
        ("model.h5", .hdf5),
    ]

    public init(path: String, configOverride: String? = nil, vocabOverride: String? = nil) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw LoadError.notFound(path: path) }
        self.path = path
        self.isFolder = isDir.boolValue
        func existing(_ p: String) -> String? { fm.fileExists(atPath: p) ? p : nil }
        if isDir.boolValue {
            let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
            guard let w = Self.folderWeights.first(where: { fm.fileExists(atPath: dir + "/" + $0.name) }) else {
                throw LoadError.noWeights(folder: path, lookedFor: Self.folderWeights.map(\.name))
            }
            weights = dir + "/" + w.name
            format = w.format
            config = existing(dir + "/config.json")
            vocabTxt = existing(dir + "/vocab.txt")
            tokenizerJSON = existing(dir + "/tokenizer.json")
            tokenizerConfig = existing(dir + "/tokenizer_config.json")
            specialTokensMap = existing(dir + "/special_tokens_map.json")
            modules = existing(dir + "/modules.json")
            vocabJSON = existing(dir + "/vocab.json")
            mergesTxt = existing(dir + "/merges.txt")
            sentencePieceModel = existing(dir + "/sentencepiece.bpe.model") ?? existing(dir + "/spiece.model")
        } else {
            weights = path
            format = try WeightsFormat.detect(path: path)
        }
        if let c = configOverride {
            guard fm.fileExists(atPath: c) else { throw LoadError.notFound(path: c) }
            config = c
        }
        if let v = vocabOverride {
            guard fm.fileExists(atPath: v) else { throw LoadError.notFound(path: v) }
            let dir = URL(fileURLWithPath: v).deletingLastPathComponent().path
            if v.lowercased().hasSuffix(".json") {
                tokenizerJSON = v
                vocabTxt = nil
            } else if v.lowercased().hasSuffix(".model") {
                sentencePieceModel = v
                (vocabTxt, tokenizerJSON) = (nil, nil)
            } else {
                vocabTxt = v
                tokenizerJSON = nil
            }
            // The tokenizer settings that sit beside a vocabulary belong to it.
            if tokenizerConfig == nil { tokenizerConfig = existing(dir + "/tokenizer_config.json") }
            if specialTokensMap == nil { specialTokensMap = existing(dir + "/special_tokens_map.json") }
        }
    }

    /// The tokenizer files, ordered by the model's family (config.json's `model_type`).
    public func tokenizerFiles(modelType: String?) -> TokenizerFiles {
        var t = TokenizerFiles(vocabTxt: vocabTxt, tokenizerJSON: tokenizerJSON, tokenizerConfig: tokenizerConfig,
                               specialTokensMap: specialTokensMap, modelType: modelType)
        t.vocabJSON = vocabJSON ?? t.vocabJSON
        t.mergesTxt = mergesTxt ?? t.mergesTxt
        t.sentencePieceModel = sentencePieceModel ?? t.sentencePieceModel
        return t
    }

    /// Every file this source reads, for provenance.
    public var files: [String] {
        [config, vocabTxt ?? tokenizerJSON ?? sentencePieceModel, tokenizerConfig, specialTokensMap, modules].compactMap { $0 }
    }
}
