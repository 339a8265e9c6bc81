import BertTensors
import Foundation

/// What `bertkit inspect` reports about a model folder, a weights file or a .bkm: the config
/// summary, the tokenizer's vocabulary and special tokens, a row per tensor (statistics only for
/// the rows asked for, so a .bkm's other tensors are never read), totals, and the load report.
public struct ModelInspection: Sendable {
    public struct Row: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: Int
        public var stats: TensorStats?
    }

    public struct Problems: Sendable {
        public var missing: [(name: String, shape: [Int])] = []
        public var wrongShapes: [(name: String, expected: [Int], found: [Int])] = []
        /// Any other reason the tensors do not bind to the config.
        public var other: String?
        public var isEmpty: Bool { missing.isEmpty && wrongShapes.isEmpty && other == nil }
    }

    public var path: String
    public var format: WeightsFormat
    public var files: [String]
    public var config: BertConfig?
    public var vocabulary: Vocabulary?
    public var tokenizer: TokenizerSettings?
    public var sentenceTransformers: SentenceTransformersSettings?
    /// What the tensors and config make, when they bind.
    public var architecture: Architecture?
    public var provenance: Provenance?
    public var metadata: [String: String] = [:]
    /// The rows shown: every tensor, or those named by `only`.
    public var rows: [Row]
    /// Over every tensor in the file: count, floating-point elements, bytes.
    public var totalTensors = 0
    public var totalParameters = 0
    public var totalBytes = 0
    public var report = LoadReport()
    public var problems = Problems()

    /// Inspects `path`. `stats` computes statistics for the shown rows; `only` limits the rows to
    /// these tensor names (as the file spells them).
    public static func inspect(path: String, configOverride: String? = nil, vocabOverride: String? = nil,
                               stats: Bool = true, only: [String]? = nil) throws -> ModelInspection {
        let source = try ModelSource(path: path, configOverride: configOverride, vocabOverride: vocabOverride)
        var r: ModelInspection
        var readTensor: (String) throws -> RawTensor
        if source.format == .bkm {
            let f = try BKMFile.open(path: source.weights)
            r = ModelInspection(path: path, format: .bkm, files: [source.weights], config: f.config, vocabulary: f.vocabulary,
                                tokenizer: f.tokenizer, sentenceTransformers: f.sentenceTransformers, provenance: f.provenance, rows: [])
            r.rows = f.entries.map { Row(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: $0.byteCount) }
            // Only the tensors whose statistics are printed are read (and their checksums verified).
            readTensor = { name in try f.tensor(name, verify: true)! }
            let (parameters, modules) = try f.split(verify: false)
            r.bindReport(parameters, modules: modules, bkmReport: f.loadReport)
        } else {
            let raw = try CheckpointLoader.readRaw(source)
            r = ModelInspection(path: path, format: source.format, files: raw.files, config: raw.config, vocabulary: raw.vocabulary,
                                tokenizer: raw.tokenizer, sentenceTransformers: raw.sentenceTransformers, provenance: nil,
                                metadata: raw.tensors.metadata, rows: [])
            let all = raw.tensors.entries + raw.moduleTensors
            r.rows = all.map { Row(name: $0.name, dtype: $0.tensor.dtype, shape: $0.tensor.shape, bytes: $0.tensor.byteCount) }
            let byName = Dictionary(all.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            readTensor = { byName[$0]! }
            r.report.warnings = raw.warnings
            if raw.config != nil {
                r.bindReport(raw.tensors, modules: raw.moduleTensors, bkmReport: nil, vocabularyFile: raw.vocabularyFile, configFile: source.config)
            }
        }
        r.totalTensors = r.rows.count
        r.totalBytes = r.rows.reduce(0) { $0 + $1.bytes }
        r.totalParameters = r.rows.filter { $0.dtype.isFloatingPoint }.reduce(0) { $0 + $1.bytes / $1.dtype.byteSize }
        if let only {
            let names = Set(r.rows.map(\.name))
            for n in only where !names.contains(n) {
                throw CheckpointError.unsupportedSource(path: path, reason: "no tensor named \"\(n)\" (the names are those inspect lists)")
            }
            r.rows = r.rows.filter { only.contains($0.name) }
        }
        if stats {
            for i in r.rows.indices { r.rows[i].stats = TensorStats(of: try readTensor(r.rows[i].name)) }
        }
        return r
    }

    /// Binds without reading tensor data and records what is missing, misshapen, unused or unexpected.
    private mutating func bindReport(_ tensors: NamedTensors, modules: [(name: String, tensor: RawTensor)], bkmReport: LoadReport?,
                                     vocabularyFile: String? = nil, configFile: String? = nil) {
        guard let config else { return }
        do {
            let c = try Checkpoint.bind(config: config, tensors: tensors, vocabulary: vocabulary, tokenizer: tokenizer,
                                        sentenceTransformers: sentenceTransformers, moduleTensors: modules,
                                        vocabularyFile: vocabularyFile, configFile: configFile)
            architecture = c.architecture
            let warnings = report.warnings
            report = c.report
            report.warnings = warnings + c.report.warnings
            if let b = bkmReport { (report.unused, report.unexpected, report.ignored) = (b.unused, b.unexpected + c.report.unexpected, b.ignored) }
        } catch CheckpointError.missingTensors(_, let names, let shapes) {
            problems.missing = Array(zip(names, shapes))
        } catch CheckpointError.shapeMismatches(_, let found) {
            problems.wrongShapes = found
        } catch {
            problems.other = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        }
    }

    /// The special tokens and their ids (nil when the vocabulary lacks one).
    public var specialTokens: [(token: String, id: Int?)] {
        guard let v = vocabulary else { return [] }
        return (tokenizer ?? TokenizerSettings()).specialTokens.map { ($0, v[$0]) }
    }

    /// The machine-readable report (`inspect --json`); per-tensor entries use the keys of
    /// golden/expected/*.inspect.json.
    public var json: JSONValue {
        func num(_ d: Double?, integer: Bool) -> JSONValue {
            guard let d else { return .null }
            return integer ? .number(String(Int64(d))) : .number("\(d)")
        }
        var tensors = JSONObject()
        for r in rows {
            var o = JSONObject([("dtype", .string(r.dtype.rawValue)), ("shape", .array(r.shape.map { .int($0) })), ("nbytes", .int(r.bytes))])
            if let s = r.stats {
                let integer = !r.dtype.isFloatingPoint
                o["min"] = num(s.min, integer: integer)
                o["max"] = num(s.max, integer: integer)
                o["mean"] = num(s.mean, integer: false)
                o["std"] = num(s.std, integer: false)
                o["nan"] = .int(s.nan)
                o["inf"] = .int(s.inf)
            }
            tensors[r.name] = .object(o)
        }
        let strings = { (a: [String]) in JSONValue.array(a.map { .string($0) }) }
        var o = JSONObject([("path", .string(path)), ("format", .string(format.rawValue)), ("files", strings(files))])
        o["config"] = config.map { c in
            .object(JSONObject([
                ("architectures", strings(c.architectures)), ("hidden_size", .int(c.hiddenSize)),
                ("num_hidden_layers", .int(c.numHiddenLayers)), ("num_attention_heads", .int(c.numAttentionHeads)),
                ("intermediate_size", .int(c.intermediateSize)), ("vocab_size", .int(c.vocabSize)),
                ("max_position_embeddings", .int(c.maxPositionEmbeddings)), ("type_vocab_size", .int(c.typeVocabSize)),
                ("hidden_act", .string(c.hiddenActName)), ("layer_norm_eps", .double(c.layerNormEps)),
                ("labels", strings(c.id2label)), ("problem_type", c.problemType.map { .string($0.rawValue) } ?? .null),
            ]))
        } ?? .null
        o["vocabulary"] = vocabulary.map { v in
            .object(JSONObject([
                ("size", .int(v.count)),
                ("special_tokens", .object(JSONObject(specialTokens.map { ($0.token, $0.id.map { .int($0) } ?? .null) }))),
                ("do_lower_case", tokenizer.map { .bool($0.doLowerCase) } ?? .null),
            ]))
        } ?? .null
        o["architecture"] = architecture.map { a in
            .object(JSONObject([
                ("model_type", .string(a.modelType)), ("class", .string(a.className)), ("head", .string(a.head.rawValue)),
                ("pooler", .bool(a.pooler)), ("tied_decoder", .bool(a.tiedDecoder && a.head.hasMaskedLM)),
                ("carried", strings(a.carried.map(\.name))),
            ]))
        } ?? .null
        o["pooling"] = sentenceTransformers?.pooling.map { p in
            .object(JSONObject([("mode", .string(p.mode.rawValue)), ("normalize", .bool(sentenceTransformers!.normalizes))]))
        } ?? .null
        o["sentence_transformers"] = sentenceTransformers.map(\.json) ?? .null
        o["provenance"] = provenance.map { p in
            .object(JSONObject([
                ("sources", .array(p.sources.map { .object(JSONObject([("file", .string($0.file)), ("sha256", .string($0.sha256)), ("bytes", .int($0.bytes))])) })),
                ("tool", .string(p.tool)), ("created", .string(p.created)), ("source_format", .string(p.sourceFormat)),
            ]))
        } ?? .null
        o["metadata"] = .object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        o["tensors"] = .object(tensors)
        o["totals"] = .object(JSONObject([("tensors", .int(totalTensors)), ("parameters", .int(totalParameters)), ("bytes", .int(totalBytes))]))
        o["report"] = .object(JSONObject([
            ("loads", .bool(config != nil && problems.isEmpty)),
            ("missing", .array(problems.missing.map { .object(JSONObject([("name", .string($0.name)), ("shape", .array($0.shape.map { .int($0) }))])) })),
            ("wrong_shapes", .array(problems.wrongShapes.map {
                .object(JSONObject([("name", .string($0.name)), ("expected", .array($0.expected.map { .int($0) })), ("found", .array($0.found.map { .int($0) }))]))
            })),
            ("problem", problems.other.map { .string($0) } ?? .null),
            ("unused", strings(report.unused)), ("unexpected", strings(report.unexpected)), ("ignored", strings(report.ignored)),
            ("tied", strings(report.tied)),
            ("warnings", strings(report.warnings)),
        ]))
        return .object(o)
    }
}
