import Foundation
import BertTensors

/// Tensors as a weights file names them, in file order.
public struct NamedTensors: Sendable {
    /// `canonical`: `BertParameter.name`s, the same in every family (what `.bkm` stores).
    public enum Naming: Sendable { case huggingFace, keras, canonical }
    public var file: String
    public var naming: Naming
    public var entries: [(name: String, tensor: RawTensor)]
    public var metadata: [String: String]

    public init(file: String, naming: Naming = .huggingFace, entries: [(name: String, tensor: RawTensor)],
                metadata: [String: String] = [:]) {
        self.file = file
        self.naming = naming
        self.entries = entries
        self.metadata = metadata
    }
}

extension Checkpoint {
    /// Binds a file's tensors to the parameters of the architecture the config and the tensors name
    /// (`Architecture.resolve`), strictly: every missing tensor and every wrong shape is listed in one
    /// error; unexpected names, ignored buffers and tied duplicates go in the report. `moduleTensors`
    /// must be exactly the tensors the sentence-transformers Dense modules need, with their shapes.
    /// A vocabulary must have one token per embedding row; `vocabularyFile` and `configFile` name
    /// them in that error (the weights file when nil).
    public static func bind(
        config: BertConfig, tensors: NamedTensors, vocabulary: Vocabulary? = nil, tokenizer: TokenizerSettings? = nil,
        sentenceTransformers: SentenceTransformersSettings? = nil, moduleTensors: [(name: String, tensor: RawTensor)] = [],
        provenance: Provenance = Provenance(), vocabularyFile: String? = nil, configFile: String? = nil
    ) throws -> Checkpoint {
        var report = LoadReport()
        var found: [BertParameter: (source: String, tensor: RawTensor)] = [:]
        let family = config.family
        for (name, t) in tensors.entries {
            let m: WeightNames.Mapping = switch tensors.naming {
            case .keras: WeightNames.map(keras: name, family: family, innerLayers: config.innerGroupNum)
            case .huggingFace: WeightNames.map(huggingFace: name, family: family, innerLayers: config.innerGroupNum)
            case .canonical: BertParameter(name: name).map { .parameter($0, transposed: false) } ?? .unexpected
            }
            switch m {
            case .ignoredBuffer: report.ignored.append(name)
            case .unexpected: report.unexpected.append(name)
            case .parameter(let p, let transposed):
                if let prior = found[p] {
                    throw CheckpointError.duplicateParameter(file: tensors.file, canonical: p.name, names: [prior.source, name])
                }
                guard t.dtype.isFloatingPoint else {
                    throw CheckpointError.notFloatingPoint(file: tensors.file, name: name, dtype: t.dtype)
                }
                found[p] = (name, transposed ? t.transposed2D() : t)
            }
        }
        if config.tieWordEmbeddings { untie(&found, report: &report) }
        var config = config
        var arch = try Architecture.resolve(config: config, present: Set(found.keys), file: tensors.file)
        // sentence-transformers' Transformer module loads AutoModel, the bare encoder, whatever
        // `architectures` says: all-mpnet-base-v2 names MPNetForMaskedLM over weights without lm_head.
        // A sentence-transformers folder with no head tensor at all is therefore read as that bare
        // encoder (and says so); any other checkpoint missing its head's tensors is still refused.
        if sentenceTransformers != nil, arch.head != .none, let named = config.architectures.first,
           !found.keys.contains(where: { if case .head = $0 { true } else { false } }) {
            config.architectures = [family.className(.none)]
            arch = try Architecture.resolve(config: config, present: Set(found.keys), file: tensors.file)
            report.warnings.append("config.json's architectures names \(named), but the weights hold none of its head's tensors: "
                                   + "read as \(family.className(.none)), the model sentence-transformers loads (AutoModel)")
        }
        // A head parameter spelt as another head of the family spells it (RoBERTa's token classifier is
        // `classifier.weight`, its sequence classifier's projection `classifier.out_proj.weight`) is not this head's.
        for (p, v) in found where tensors.naming != .canonical {
            guard case .head(let h) = p else { continue }
            let spelt = tensors.naming == .keras ? WeightNames.spelling(keras: v.source, family: family).name
                : WeightNames.spelling(huggingFace: v.source, family: family)
            if spelt != family.huggingFaceName(h, head: arch.head) {
                found[p] = nil
                report.unexpected.append(v.source)
            }
        }
        if let rows = arch.head.classifierRows(config), arch.head != .multipleChoice,
           let w = found[.head(.classifierWeight)]?.tensor, w.shape.count == 2, rows != w.shape[0] {
            throw CheckpointError.labelCountMismatch(file: tensors.file, configLabels: rows, classifierRows: w.shape[0])
        }
        let expected = arch.parameters(config)
        let missing = expected.filter { found[$0.name] == nil }
        if !missing.isEmpty {
            // Named as the family spells them (unprefixed, as the canonical names are).
            throw CheckpointError.missingTensors(
                file: tensors.file, names: missing.map {
                    WeightNames.huggingFaceName($0.name, prefixed: false, family: family, head: arch.head, innerLayers: config.innerGroupNum)
                },
                shapes: missing.map(\.shape))
        }
        let wrong = expected.compactMap { e -> (String, [Int], [Int])? in
            let s = found[e.name]!.tensor.shape
            return s == e.shape ? nil : (found[e.name]!.source, e.shape, s)
        }
        if !wrong.isEmpty { throw CheckpointError.shapeMismatches(file: tensors.file, found: wrong) }
        let expectedSet = Set(expected.map(\.name))
        for (p, v) in found where !expectedSet.contains(p) { report.unexpected.append(v.source) }
        report.unexpected.sort()
        if let v = vocabulary {
            try checkVocabularySize(v, tokenizer: tokenizer, config: config, vocabularyFile: vocabularyFile ?? tensors.file,
                                    configFile: configFile ?? tensors.file)
        }
        var c = Checkpoint(
            config: config, vocabulary: vocabulary, tokenizer: tokenizer, sentenceTransformers: sentenceTransformers,
            parameters: expected.map { ($0.name.name, found[$0.name]!.tensor) }, architecture: arch,
            sourceNames: Dictionary(uniqueKeysWithValues: found.map { ($0.key.name, $0.value.source) }),
            provenance: provenance, report: report)
        c.moduleTensors = try bindModuleTensors(moduleTensors, to: sentenceTransformers, file: tensors.file, report: &c.report)
        return c
    }

    /// The tokenizer's ids (its vocabulary, and added tokens past it) must be the embedding rows,
    /// one each: more and the tokenizer emits ids the model cannot embed; fewer and it is another
    /// model's tokenizer (BertTokenizer and BertModel agree on vocab_size).
    public static func checkVocabularySize(_ v: Vocabulary, tokenizer: TokenizerSettings?, config: BertConfig,
                                           vocabularyFile: String, configFile: String) throws {
        let tokens = max(v.count, (tokenizer?.addedTokens.map(\.id).max() ?? -1) + 1)
        guard tokens == config.vocabSize else {
            throw CheckpointError.vocabularySize(vocabularyFile: vocabularyFile, tokens: tokens, embeddingRows: config.vocabSize,
                                                 configFile: configFile)
        }
    }

    /// With tied weights transformers keeps one tensor: the word embeddings for the decoder,
    /// `cls.predictions.bias` for the decoder's bias. A file may still store the copies (a `.bin`
    /// from `torch.save` shares the storage); they are dropped as duplicates when equal, and
    /// reported when not, since transformers then overwrites them with the source.
    static func untie(_ found: inout [BertParameter: (source: String, tensor: RawTensor)], report: inout LoadReport) {
        let pairs: [(copy: BertParameter, source: BertParameter)] = [
            (.head(.mlmDecoderWeight), .embeddings(.word)), (.head(.mlmDecoderBias), .head(.mlmBias)),
        ]
        for (copy, source) in pairs {
            guard let c = found[copy] else { continue }
            found[copy] = nil
            guard let s = found[source] else {
                // Only the copy was saved (e.g. `decoder.bias` without `cls.predictions.bias`): it is the source.
                found[source] = c
                report.tied.append(c.source)
                continue
            }
            report.tied.append(c.source)
            if c.tensor.shape != s.tensor.shape || c.tensor.dtype != s.tensor.dtype
                || memcmp(c.tensor.bytes.baseAddress!, s.tensor.bytes.baseAddress!, c.tensor.byteCount) != 0 {
                report.warnings.append("\(c.source) differs from \(s.source), but the config ties them (tie_word_embeddings): "
                    + "transformers and bertkit use \(s.source) and drop \(c.source)")
            }
        }
    }

    /// The Dense modules' tensors in `tensorShapes` order, strictly: every one present with its
    /// shape; any other name goes to `report.unexpected`.
    static func bindModuleTensors(_ given: [(name: String, tensor: RawTensor)], to s: SentenceTransformersSettings?, file: String,
                                  report: inout LoadReport) throws -> [(name: String, tensor: RawTensor)] {
        let wanted = s?.tensorShapes ?? []
        var byName: [String: RawTensor] = [:]
        for (n, t) in given {
            guard byName[n] == nil else { throw CheckpointError.duplicateParameter(file: file, canonical: n, names: [n, n]) }
            byName[n] = t
        }
        let missing = wanted.filter { byName[$0.name] == nil }
        if !missing.isEmpty { throw CheckpointError.missingTensors(file: file, names: missing.map(\.name), shapes: missing.map(\.shape)) }
        let wrong = wanted.compactMap { w in byName[w.name]!.shape == w.shape ? nil : (w.name, w.shape, byName[w.name]!.shape) }
        if !wrong.isEmpty { throw CheckpointError.shapeMismatches(file: file, found: wrong) }
        for (n, _) in given where !wanted.contains(where: { $0.name == n }) { report.unexpected.append(n) }
        for (n, t) in given where !t.dtype.isFloatingPoint { throw CheckpointError.notFloatingPoint(file: file, name: n, dtype: t.dtype) }
        return wanted.map { ($0.name, byName[$0.name]!) }
    }
}

extension RawTensor {
    /// A `[a, b]` tensor as `[b, a]`, in the same dtype (Keras stores Linear kernels as `[in, out]`).
    public func transposed2D() -> RawTensor {
        guard shape.count == 2 else { return self }
        let (r, c) = (shape[0], shape[1]), w = dtype.byteSize
        let (s, p) = ByteStorage.allocate(count: byteCount, origin: storage.origin)
        let src = bytes.baseAddress!
        for i in 0..<r { for j in 0..<c { (p + (j * r + i) * w).copyMemory(from: src + (i * c + j) * w, byteCount: w) } }
        return try! RawTensor(dtype: dtype, shape: [c, r], storage: s, offset: 0, byteCount: byteCount)
    }
}
