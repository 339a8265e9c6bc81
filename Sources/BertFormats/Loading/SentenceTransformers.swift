import BertTensors
import Foundation

/// A sentence-transformers model folder (sentence_transformers `SentenceTransformer._load_sbert_model`):
/// `modules.json` lists the modules in order, each in its own folder with a `config.json`
/// (`models/Pooling.py`, `models/Dense.py`, `models/Normalize.py`); `sentence_bert_config.json` holds the
/// Transformer's options and `config_sentence_transformers.json` the model's. bertkit reads every
/// setting of these that changes the embeddings, and refuses by name what it cannot run.
public enum SentenceTransformers {
    /// Module class paths as `modules.json` names them: sentence-transformers < 5, then ≥ 5.
    static let transformerTypes = ["sentence_transformers.models.Transformer", "sentence_transformers.base.modules.transformer.Transformer"]
    static let poolingTypes = ["sentence_transformers.models.Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"]
    static let denseTypes = ["sentence_transformers.models.Dense", "sentence_transformers.base.modules.dense.Dense"]
    static let normalizeTypes = ["sentence_transformers.models.Normalize", "sentence_transformers.base.modules.normalize.Normalize"]

    /// What a folder's sentence-transformers files hold.
    public struct Folder: Sendable {
        public var settings: SentenceTransformersSettings
        /// The Dense modules' weights under `settings.tensorShapes`' names (shapes not yet checked).
        public var tensors: [(name: String, tensor: RawTensor)]
        /// Every file read, for provenance.
        public var files: [String]
    }

    /// Reads `modules.json` and what it points to. `hiddenSize` (from config.json, when known)
    /// checks the Pooling and Dense widths.
    public static func read(modules path: String, hiddenSize: Int?) throws -> Folder {
        let folder = (path as NSString).deletingLastPathComponent
        func inFolder(_ p: String) -> String { (folder.isEmpty ? "" : folder + "/") + p }
        guard case .array(let list) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an array of modules")
        }
        var files = [path]
        var modules: [SentenceTransformersSettings.Module] = []
        var tensors: [(name: String, tensor: RawTensor)] = []
        var configFiles: [String] = []  // per module, for error messages
        for (i, m) in list.enumerated() {
            guard let o = m.objectValue else { throw ConfigError(file: path, key: "\(i)", "expected an object, found \(m.kind)") }
            guard let type = o["type"]?.stringValue else { throw ConfigError(file: path, key: "\(i).type", "expected a string") }
            guard let dir = o["path"]?.stringValue else { throw ConfigError(file: path, key: "\(i).path", "expected a string") }
            if transformerTypes.contains(type) {
                guard i == 0 else { throw ConfigError(file: path, key: "\(i).type", "the Transformer must be the first module") }
                guard dir.isEmpty else {
                    throw ConfigError(file: path, key: "\(i).path", "the Transformer is in \"\(dir)\"; bertkit reads folders whose Transformer is the folder itself (path \"\")")
                }
                continue
            }
            guard i > 0 else { throw ConfigError(file: path, key: "0.type", "expected the Transformer first, found \(type)") }
            guard ShardedSafeTensors.isInsideFolder(dir) else {
                throw ConfigError(file: path, key: "\(i).path", "\"\(dir)\" points outside the model folder")
            }
            let config = inFolder(dir + "/config.json")
            let exists = FileManager.default.fileExists(atPath: config)
            if exists { files.append(config) }
            let c: JSONObject = exists ? try object(config) : JSONObject()
            let kind: SentenceTransformersSettings.Module.Kind
            if poolingTypes.contains(type) {
                guard exists else { throw LoadError.notFound(path: config) }
                kind = .pooling(try pooling(c, file: config, hiddenSize: hiddenSize))
            } else if denseTypes.contains(type) {
                guard exists else { throw LoadError.notFound(path: config) }
                let d = try dense(c, file: config)
                let (t, weights) = try denseTensors(inFolder(dir), module: dir, bias: d.bias)
                tensors += t
                files.append(weights)
                kind = .dense(d)
            } else if normalizeTypes.contains(type) {
                try normalize(c, file: config)
                kind = .normalize
            } else {
                throw ConfigError(file: path, key: "\(i).type",
                                  "\(type) is a module bertkit does not run; it runs Transformer, Pooling, Dense and Normalize")
            }
            modules.append(.init(path: dir, kind))
            configFiles.append(config)
        }
        var s = SentenceTransformersSettings(modules: modules)
        let bert = inFolder("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: bert) {
            files.append(bert)
            try transformerOptions(object(bert), file: bert, into: &s)
        }
        let model = inFolder("config_sentence_transformers.json")
        if FileManager.default.fileExists(atPath: model) {
            files.append(model)
            try modelOptions(object(model), file: model, into: &s)
        }
        // Without a config, the first Dense's input stands in for the hidden size.
        let firstDense = s.modules.lazy.compactMap { m -> Int? in if case .dense(let d) = m.kind { d.inFeatures } else { nil } }.first
        if let p = s.problem(hiddenSize: hiddenSize ?? firstDense ?? 1) {
            switch p.module {
            case .some(let i) where p.key == "path" || p.key == "type":
                throw ConfigError(file: path, key: "\(i + 1).\(p.key)", p.problem)  // modules.json counts the Transformer
            case .some(let i): throw ConfigError(file: configFiles[i], key: p.key, p.problem)
            case .none: throw ConfigError(file: p.key == "max_seq_length" ? bert : model, key: p.key, p.problem)
            }
        }
        return Folder(settings: s, tensors: tensors, files: files)
    }

    private static func object(_ path: String) throws -> JSONObject {
        guard case .object(let o) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an object")
        }
        return o
    }

    private static func bool(_ o: JSONObject, _ key: String, file: String) throws -> Bool? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw ConfigError(file: file, key: key, "expected true or false, found \(v.kind)") }
        return b
    }

    private static func positiveInt(_ o: JSONObject, _ key: String, file: String) throws -> Int? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let n = v.intValue, n > 0 else { throw ConfigError(file: file, key: key, "expected a positive integer, found \(v.kind)") }
        return n
    }

    // MARK: modules

    static let legacyPoolingKeys: [(String, String)] = [
        ("pooling_mode_cls_token", "cls"), ("pooling_mode_max_tokens", "max"), ("pooling_mode_mean_tokens", "mean"),
        ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"), ("pooling_mode_weightedmean_tokens", "weightedmean"),
        ("pooling_mode_lasttoken", "lasttoken"),
    ]
    static let poolingModes: [String: SentencePooling.Mode] = ["cls": .cls, "max": .max, "mean": .mean, "mean_sqrt_len_tokens": .meanSqrtLen]

    /// `1_Pooling/config.json`: the `pooling_mode_*` flags (sentence-transformers < 5.4) or
    /// `pooling_mode` (a name or a list), `include_prompt`, and the width.
    static func pooling(_ c: JSONObject, file: String, hiddenSize: Int?) throws -> SentencePooling {
        let known = ["word_embedding_dimension", "embedding_dimension", "pooling_mode", "include_prompt"] + legacyPoolingKeys.map(\.0)
        for k in c.keys where !known.contains(k) {
            throw ConfigError(file: file, key: k, "a Pooling setting bertkit does not know; it reads \(known.joined(separator: ", "))")
        }
        var on: [String] = []
        if let v = c["pooling_mode"], !v.isNull {
            let names = v.stringValue.map { [$0] } ?? v.arrayValue?.compactMap(\.stringValue)
            guard let names, !names.isEmpty, names.count == (v.arrayValue?.count ?? 1) else {
                throw ConfigError(file: file, key: "pooling_mode", "expected a mode name or a list of them, found \(v.kind)")
            }
            on = names
        } else {
            for (key, name) in legacyPoolingKeys where try bool(c, key, file: file) == true { on.append(name) }
        }
        let key = c["pooling_mode"] != nil ? "pooling_mode" : "pooling_mode_*"
        guard on.count == 1 else {
            throw ConfigError(file: file, key: key,
                              on.isEmpty ? "no pooling mode is true" : "\(on.count) pooling modes are on (\(on.joined(separator: ", "))); bertkit supports exactly one")
        }
        guard let mode = poolingModes[on[0]] else {
            throw ConfigError(file: file, key: key, "unsupported pooling mode \"\(on[0])\"; bertkit supports cls, mean, max and mean_sqrt_len_tokens")
        }
        for k in ["word_embedding_dimension", "embedding_dimension"] {
            guard let v = c[k], !v.isNull else { continue }
            guard let n = v.intValue else { throw ConfigError(file: file, key: k, "expected an integer, found \(v.kind)") }
            if let h = hiddenSize, n != h { throw ConfigError(file: file, key: k, "expected \(h) (the model's hidden_size), found \(n)") }
        }
        return SentencePooling(mode: mode, includePrompt: try bool(c, "include_prompt", file: file) ?? true)
    }

    /// `2_Dense/config.json`. A missing `activation_function` is Dense's default, Tanh.
    static func dense(_ c: JSONObject, file: String) throws -> DenseModule {
        let known = ["in_features", "out_features", "bias", "activation_function", "module_input_name", "module_output_name", "use_residual"]
        for k in c.keys where !known.contains(k) {
            throw ConfigError(file: file, key: k, "a Dense setting bertkit does not know; it reads \(known.joined(separator: ", "))")
        }
        for k in ["module_input_name", "module_output_name"] {
            guard let v = c[k], !v.isNull else { continue }
            guard v.stringValue == "sentence_embedding" else {
                throw ConfigError(file: file, key: k, "bertkit runs Dense on the sentence embedding only, found \(v.kind)")
            }
        }
        if try bool(c, "use_residual", file: file) == true {
            throw ConfigError(file: file, key: "use_residual", "a Dense with a residual connection is not supported by bertkit")
        }
        guard let i = try positiveInt(c, "in_features", file: file) else { throw ConfigError(file: file, key: "in_features", "missing") }
        guard let o = try positiveInt(c, "out_features", file: file) else { throw ConfigError(file: file, key: "out_features", "missing") }
        var activation = DenseModule.Activation.tanh
        if let v = c["activation_function"], !v.isNull {
            guard let name = v.stringValue, let a = DenseModule.Activation(rawValue: name) else {
                throw ConfigError(file: file, key: "activation_function",
                                  "\(v.kind) is not an activation bertkit runs; it runs \(DenseModule.Activation.allCases.map(\.rawValue).joined(separator: " and "))")
            }
            activation = a
        }
        return DenseModule(inFeatures: i, outFeatures: o, bias: try bool(c, "bias", file: file) ?? true, activation: activation)
    }

    /// `2_Dense/model.safetensors` (or `pytorch_model.bin`): `linear.weight` and `linear.bias`.
    static func denseTensors(_ dir: String, module: String, bias: Bool) throws -> ([(name: String, tensor: RawTensor)], file: String) {
        let st = dir + "/model.safetensors", bin = dir + "/pytorch_model.bin"
        let named: NamedTensors, file: String
        if FileManager.default.fileExists(atPath: st) {
            (named, file) = (try SafeTensorsFile.read(path: st).named, st)
        } else if FileManager.default.fileExists(atPath: bin) {
            (named, file) = (try PyTorchBinReader.read(path: bin), bin)
        } else {
            throw LoadError.noWeights(folder: dir, lookedFor: ["model.safetensors", "pytorch_model.bin"])
        }
        let wanted = ["linear.weight"] + (bias ? ["linear.bias"] : [])
        for (name, t) in named.entries {
            guard wanted.contains(name) else {
                throw ConfigError(file: file, key: name, "not a tensor of this Dense module (expected \(wanted.joined(separator: ", ")))")
            }
            guard t.dtype.isFloatingPoint else { throw CheckpointError.notFloatingPoint(file: file, name: name, dtype: t.dtype) }
        }
        return (named.entries.map { (SentenceTransformersSettings.tensorPrefix + module + "." + $0.name, $0.tensor) }, file)
    }

    /// A Normalize module has no settings; one that writes elsewhere than the sentence embedding is refused.
    static func normalize(_ c: JSONObject, file: String) throws {
        for (k, v) in c {
            guard ["module_input_name", "module_output_name"].contains(k) else {
                throw ConfigError(file: file, key: k, "a Normalize setting bertkit does not know")
            }
            guard v.isNull || v.stringValue == "sentence_embedding" else {
                throw ConfigError(file: file, key: k, "bertkit normalizes the sentence embedding only, found \(v.kind)")
            }
        }
    }

    // MARK: model-wide settings

    /// `sentence_bert_config.json`: the Transformer's options. sentence-transformers ≥ 5 writes its
    /// modality keys here too; they are accepted at the values a text BERT has.
    static func transformerOptions(_ c: JSONObject, file: String, into s: inout SentenceTransformersSettings) throws {
        let textOnly = JSONValue.object(JSONObject([("text", .object(JSONObject([
            ("method", .string("forward")), ("method_output_name", .string("last_hidden_state"))])))]))
        // Arguments passed on to transformers: only when there are none is the model what bertkit loads.
        let emptyWhenCarried = ["model_args", "tokenizer_args", "config_args", "model_kwargs", "processor_kwargs", "config_kwargs",
                                "processing_kwargs"]
        for (k, v) in c {
            switch k {
            case "max_seq_length": s.maxSeqLength = try positiveInt(c, k, file: file)
            case "do_lower_case": s.doLowerCase = try bool(c, k, file: file) ?? false
            case "unpad_inputs": _ = try bool(c, k, file: file)  // a speed setting: the same numbers
            case "transformer_task" where v == .string("feature-extraction"),
                 "module_output_name" where v == .string("token_embeddings"),
                 "modality_config" where v == textOnly:
                continue
            case _ where emptyWhenCarried.contains(k) && (v.isNull || v.objectValue?.count == 0):
                continue
            default:
                throw ConfigError(file: file, key: k, "\(v.kind) is a Transformer option bertkit cannot carry")
            }
        }
    }

    /// `config_sentence_transformers.json`: prompts, the default prompt, the similarity function and
    /// truncate_dim. Other keys (`__version__`) are ignored, as sentence-transformers ignores them.
    static func modelOptions(_ c: JSONObject, file: String, into s: inout SentenceTransformersSettings) throws {
        if let v = c["model_type"], !v.isNull, v.stringValue != "SentenceTransformer" {
            throw ConfigError(file: file, key: "model_type", "expected \"SentenceTransformer\", found \(v.kind)")
        }
        if let v = c["prompts"], !v.isNull {
            guard let o = v.objectValue else { throw ConfigError(file: file, key: "prompts", "expected an object of name: text, found \(v.kind)") }
            s.prompts = try o.map { name, t in
                guard let text = t.stringValue else { throw ConfigError(file: file, key: "prompts.\(name)", "expected a string, found \(t.kind)") }
                return .init(name: name, text: text)
            }
        }
        for k in ["default_prompt_name", "similarity_fn_name"] {
            guard let v = c[k], !v.isNull else { continue }
            guard let t = v.stringValue else { throw ConfigError(file: file, key: k, "expected a string or null, found \(v.kind)") }
            if k == "default_prompt_name" { s.defaultPromptName = t } else { s.similarityFnName = t }
        }
        s.truncateDim = try positiveInt(c, "truncate_dim", file: file)
    }

    // MARK: writing

    /// The files a model folder needs for `s` (path relative to the folder, contents), for
    /// sentence-transformers ≥ 2: `modules.json`, `sentence_bert_config.json`,
    /// `config_sentence_transformers.json` and each module's `config.json`. Dense weights are
    /// written by the exporter (`<path>/model.safetensors`).
    public static func folderFiles(_ s: SentenceTransformersSettings, hiddenSize: Int) -> [(path: String, json: JSONValue)] {
        var mods: [JSONValue] = [module(0, "", "sentence_transformers.models.Transformer")]
        var files: [(path: String, json: JSONValue)] = []
        for (i, m) in s.modules.enumerated() {
            mods.append(module(i + 1, m.path, "sentence_transformers.models." + m.typeName))
            switch m.kind {
            case .pooling(let p):
                var o = JSONObject([("word_embedding_dimension", .int(hiddenSize))])
                for (key, name) in legacyPoolingKeys where poolingModes[name] != nil { o[key] = .bool(poolingModes[name] == p.mode) }
                // Written only when off, so a sentence-transformers too old to honour it refuses the file.
                if !p.includePrompt { o["include_prompt"] = .bool(false) }
                files.append((m.path + "/config.json", .object(o)))
            case .dense(let d):
                files.append((m.path + "/config.json", .object(JSONObject([
                    ("in_features", .int(d.inFeatures)), ("out_features", .int(d.outFeatures)), ("bias", .bool(d.bias)),
                    ("activation_function", .string(d.activation.rawValue)),
                ]))))
            case .normalize:
                break
            }
        }
        var bert = JSONObject()
        if let n = s.maxSeqLength { bert["max_seq_length"] = .int(n) }
        bert["do_lower_case"] = .bool(s.doLowerCase)
        var model = JSONObject([
            ("model_type", .string("SentenceTransformer")),
            ("prompts", .object(JSONObject(s.prompts.map { ($0.name, .string($0.text)) }))),
            ("default_prompt_name", s.defaultPromptName.map { .string($0) } ?? .null),
            ("similarity_fn_name", s.similarityFnName.map { .string($0) } ?? .null),
        ])
        if let t = s.truncateDim { model["truncate_dim"] = .int(t) }
        return [("modules.json", .array(mods)), ("sentence_bert_config.json", .object(bert)),
                ("config_sentence_transformers.json", .object(model))] + files
    }

    private static func module(_ i: Int, _ path: String, _ type: String) -> JSONValue {
        .object(JSONObject([("idx", .int(i)), ("name", .string(String(i))), ("path", .string(path)), ("type", .string(type))]))
    }
}
