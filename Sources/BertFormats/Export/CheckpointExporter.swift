import BertTensors
import Foundation

/// What `convert` can write, chosen by the output path.
public enum OutputFormat: String, Sendable {
    case bkm
    case safetensors
    case hdf5
    /// A folder transformers' `from_pretrained` loads.
    case huggingFaceFolder = "huggingface-folder"

    public static func detect(path: String) throws -> OutputFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".bkm") { return .bkm }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .hdf5 }
        let ext = URL(fileURLWithPath: path).pathExtension
        guard ext.isEmpty || path.hasSuffix("/") else {
            throw CheckpointError.unsupportedSource(
                path: path, reason: "bertkit writes .bkm, .safetensors, .h5 or a folder (a path without an extension); \".\(ext)\" is none of these")
        }
        return .huggingFaceFolder
    }
}

/// Writes a Checkpoint in any format bertkit writes, never leaving a partial output.
public enum CheckpointExporter {
    /// Writes `c` to `path` in the format its extension names. An existing output is replaced only
    /// with `replace`. `progress` gets (bytes written, bytes total) for the tensor data.
    public static func write(_ c: Checkpoint, to path: String, replace: Bool = false, progress: ((Int, Int) -> Void)? = nil) throws {
        let format = try OutputFormat.detect(path: path)
        if format != .huggingFaceFolder, FileManager.default.fileExists(atPath: path), !replace {
            throw IOError.alreadyExists(path: path)
        }
        switch format {
        case .bkm:
            try BKMWriter.write(c, to: path, progress: progress)
        case .safetensors:
            try SafeTensorsWriter.write(huggingFaceTensors(c), metadata: [("format", "pt")], to: path, progress: progress)
        case .hdf5:
            try HDF5Writer.write(huggingFaceTensors(c), to: path)
        case .huggingFaceFolder:
            try writeFolder(c, to: path, replace: replace, progress: progress)
        }
    }

    /// True when the architecture's checkpoints put the encoder under the family's prefix (`bert.`,
    /// `roberta.`: the `…For…` classes).
    public static func usesBertPrefix(_ c: Checkpoint) -> Bool { c.head != .none }

    /// The parameters under the names transformers gives them for the checkpoint's architecture.
    /// A tied decoder is not written, as `save_pretrained` leaves tied weights out.
    public static func huggingFaceTensors(_ c: Checkpoint) -> [(name: String, tensor: RawTensor)] {
        let prefixed = usesBertPrefix(c), family = c.architecture.family
        return c.parameters.map { p in
            guard let typed = BertParameter(name: p.name) else { preconditionFailure("\(p.name) is not a parameter") }
            return (WeightNames.huggingFaceName(typed, prefixed: prefixed, family: family, head: c.head,
                                                innerLayers: c.config.innerGroupNum), p.tensor)
        }
    }

    /// config.json, vocab.txt, the tokenizer files (as the source had them byte for byte, else
    /// tokenizer_config.json and special_tokens_map.json from the settings), model.safetensors, and for
    /// sentence-transformers models modules.json, sentence_bert_config.json,
    /// config_sentence_transformers.json and a folder per module (Dense weights in its
    /// model.safetensors) — built in a temporary folder beside `path` and renamed into place when complete.
    static func writeFolder(_ c: Checkpoint, to path: String, replace: Bool, progress: ((Int, Int) -> Void)?) throws {
        let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
        let out = try AtomicDirectoryWriter(destination: dir, replace: replace)
        func json(_ v: JSONValue, _ name: String) throws {
            try AtomicFileWriter.write(Data((v.serialized(indent: 2) + "\n").utf8), to: out.path(name))
        }
        try json(.object(folderConfig(c)), "config.json")
        if let v = c.vocabulary { try AtomicFileWriter.write(v.fileContents, to: out.path("vocab.txt")) }
        for (name, bytes) in c.tokenizerFiles where TokenizerFiles.verbatimNames.contains(name) {
            try AtomicFileWriter.write(Data(bytes), to: out.path(name))
        }
        // Another family's tokenizer is its files alone: a written BertTokenizer config would make
        // transformers load the wrong tokenizer class.
        if let t = c.tokenizer, c.vocabulary != nil {
            if c.tokenizerFiles["tokenizer_config.json"] == nil { try json(.object(t.json), "tokenizer_config.json") }
            if c.tokenizerFiles["special_tokens_map.json"] == nil {
                // Sorted keys, as transformers (4.x, the last to write this file) writes it.
                try json(.object(JSONObject([("cls_token", .string(t.clsToken)), ("mask_token", .string(t.maskToken)), ("pad_token", .string(t.padToken)),
                                             ("sep_token", .string(t.sepToken)), ("unk_token", .string(t.unkToken))])), "special_tokens_map.json")
            }
        }
        if let s = c.sentenceTransformers {
            for m in s.modules where m.kind != .normalize {  // Normalize has no files (as sentence-transformers < 5 saves it)
                try FileManager.default.createDirectory(atPath: out.path(m.path), withIntermediateDirectories: true)
            }
            for f in SentenceTransformers.folderFiles(s, hiddenSize: c.config.hiddenSize) { try json(f.json, f.path) }
            for m in s.modules where m.typeName == "Dense" {
                let prefix = SentenceTransformersSettings.tensorPrefix + m.path + "."
                let tensors = c.moduleTensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
                try SafeTensorsWriter.write(tensors, metadata: [("format", "pt")], to: out.path(m.path + "/model.safetensors"))
            }
        }
        try SafeTensorsWriter.write(huggingFaceTensors(c), metadata: [("format", "pt")], to: out.path("model.safetensors"), progress: progress)
        try out.commit()
    }

    /// The config as the folder's weights need it: an architecture named, and the dtype key
    /// (`torch_dtype`, or `dtype` in transformers 5) saying what the weights hold.
    static func folderConfig(_ c: Checkpoint) -> JSONObject {
        var o = c.config.json
        if c.config.architectures.isEmpty {
            o["architectures"] = .array([.string(c.architecture.className)])
        }
        let dtypes = Set(c.parameters.map(\.tensor.dtype))
        if dtypes.count == 1, let d = dtypes.first {
            let torchName = [DType.f32: "float32", .f16: "float16", .bf16: "bfloat16"][d]
            for key in ["torch_dtype", "dtype"] where o[key] != nil { o[key] = torchName.map { .string($0) } ?? o[key] }
        }
        return o
    }
}
