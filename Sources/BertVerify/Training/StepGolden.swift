import BertFormats
import BertModel
import BertTensors
import Foundation

/// A step golden (formats/golden.md, "Step goldens"): one PyTorch training step on a batch, dropout
/// off: the batch and its targets, the loss, every gradient, Adam's moments and the parameters
/// after the step. `golden/record.py --train` writes one for a user's model; golden/generate_training*.py
/// write longer ones, whose first step this reads.
public struct StepGolden: Sendable {
    public let file: SafeTensorsFile
    public var path: String { file.path }
    /// transformers' class name (`architecture` metadata); older sequence-classification goldens have none.
    public let architecture: String?
    /// torch.optim.Adam / AdamW as the `optimizer` metadata gives it, at the first step's learning rate.
    public let optimizer: AdamOptimizer.Settings
    public let clipNorm: Float?
    /// Gradients that are 0 in exact arithmetic (`noise_dominated`, `shift_invariant`).
    public let cancelling: Set<String>
    public let weightsSHA256: String?

    public static let format = "bertkit-train-golden"
    static let inputNames = ["input_ids", "attention_mask", "token_type_ids"]
    static let targetNames = ["labels", "start_positions", "end_positions", "next_sentence_label"]
    /// Per-parameter prefixes of the first step, in the order `verify --train` compares them.
    public static let stateKinds = ["grad.", "exp_avg.", "exp_avg_sq.", "param1."]
    /// What longer goldens also carry (later batches and steps); read by the tests, not by `verify --train`.
    static let laterSteps = ["batch.", "exp_avg5.", "exp_avg_sq5.", "param5."]
    static let perStepSeries: Set<String> = ["loss", "lr", "grad_norm", "clip_coef"]

    public static func read(path: String) throws -> StepGolden { try StepGolden(file: SafeTensorsFile.read(path: path)) }

    public init(file st: SafeTensorsFile) throws {
        file = st
        let f = st.path, meta = st.metadataDictionary
        guard meta["format"] == Self.format else { throw StepGoldenError.notStepGolden(file: f, found: meta["format"] ?? "(none)") }
        guard meta["version"] == "1" else {
            throw StepGoldenError.badMetadata(file: f, key: "version", problem: "found \(meta["version"] ?? "(none)"), expected 1")
        }
        guard meta["kind"] == "optimizer-steps" else {
            throw StepGoldenError.badMetadata(file: f, key: "kind", problem: "found \(meta["kind"] ?? "(none)"); verify --train replays "
                                              + "optimizer-steps goldens (dropout off)")
        }
        if let d = meta["dropout"], d != "0" {
            throw StepGoldenError.badMetadata(file: f, key: "dropout", problem: "found \(d); a step golden is recorded with dropout off (0)")
        }
        architecture = meta["architecture"]
        weightsSHA256 = meta["weights_sha256"]
        (optimizer, clipNorm) = try Self.optimizer(meta["optimizer"], file: f)
        var cancelling: Set<String> = []
        for key in ["noise_dominated", "shift_invariant"] {
            guard let json = meta[key] else { continue }
            guard let names = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
                throw StepGoldenError.badMetadata(file: f, key: key, problem: "expected a JSON array of parameter names, found \(json)")
            }
            cancelling.formUnion(names)
        }
        self.cancelling = cancelling
    }

    /// The Adam settings of step 1: `lr_per_step[0]` when given (a schedule's first value), else `lr`.
    static func optimizer(_ json: String?, file f: String) throws -> (AdamOptimizer.Settings, Float?) {
        func bad(_ p: String) -> StepGoldenError { .badMetadata(file: f, key: "optimizer", problem: p) }
        guard let json, let o = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw bad("expected a JSON object (optimizer, lr, betas, eps, weight_decay), found \(json ?? "(none)")")
        }
        let kind: AdamOptimizer.Kind
        switch o["optimizer"] as? String {
        case "torch.optim.AdamW": kind = .adamw
        case "torch.optim.Adam": kind = .adam
        case let other: throw bad("optimizer is \(other ?? "(none)"); bertkit steps torch.optim.Adam and torch.optim.AdamW")
        }
        if (o["amsgrad"] as? Bool) == true { throw bad("amsgrad is true; bertkit's Adam has no amsgrad") }
        guard let lr = ((o["lr_per_step"] as? [Double])?.first ?? (o["lr"] as? Double)) else { throw bad("no lr") }
        var s = AdamOptimizer.Settings(kind: kind, learningRate: Float(lr), weightDecay: Float((o["weight_decay"] as? Double) ?? 0))
        if let b = o["betas"] as? [Double] {
            guard b.count == 2 else { throw bad("betas has \(b.count) values, expected 2") }
            s.beta1 = Float(b[0])
            s.beta2 = Float(b[1])
        }
        if let e = o["eps"] as? Double { s.eps = Float(e) }
        let clip = (o["clip_grad_norm"] as? [String: Any])?["max_norm"] as? Double
        return (s, clip.map(Float.init))
    }

    func tensor(_ name: String, _ reason: @autoclosure () -> String) throws -> RawTensor {
        guard let t = file[name] else { throw StepGoldenError.missingTensor(file: path, name: name, reason: reason()) }
        return t
    }

    func integers(_ name: String, shape: [Int]?, _ reason: @autoclosure () -> String) throws -> [Int] {
        let t = try tensor(name, reason())
        guard let v = t.integers() else { throw StepGoldenError.dtype(file: path, name: name, expected: "I64", found: t.dtype.rawValue) }
        if let shape, t.shape != shape { throw StepGoldenError.shape(file: path, name: name, expected: shape, found: t.shape) }
        return v.map { Int($0) }
    }

    /// The first batch, as `model` runs it.
    public func input(config: BertConfig) throws -> BertInput {
        let ids = try tensor("batch.0.input_ids", "the first batch's token ids")
        guard ids.shape.count == 2 else {
            throw StepGoldenError.shape(file: path, name: "batch.0.input_ids", expected: [-1, -1], found: ids.shape)
        }
        let v = try Self.inputNames.map { try integers("batch.0.\($0)", shape: ids.shape, "formats/golden.md requires the batch's three inputs") }
        do {
            return try BertInput(batch: ids.shape[0], seq: ids.shape[1], inputIds: v[0], tokenTypeIds: v[2], attentionMask: v[1], config: config)
        } catch let e as ModelError {
            let name: String
            switch e {
            case .tokenTypeOutOfRange: name = "batch.0.token_type_ids"
            case .badMaskValue: name = "batch.0.attention_mask"
            default: name = "batch.0.input_ids"
            }
            throw StepGoldenError.badTargets(file: path, name: name, problem: e.errorDescription ?? "\(e)")
        }
    }

    /// The first batch's targets, read as `head`'s task takes them (transformers' argument names).
    public func targets(head: HeadKind, problem: ProblemType, batch: Int, seq: Int) throws -> TrainingTargets {
        let why = "\(head.architectureName) trains on it"
        func ints(_ n: String, _ shape: [Int]) throws -> [Int] { try integers("batch.0.\(n)", shape: shape, why) }
        switch head {
        case .sequenceClassification:
            let t = try tensor("batch.0.labels", why)
            if problem == .singleLabel { return .classes(try ints("labels", [batch])) }
            guard t.dtype != .i64, t.shape.first == batch else {
                throw StepGoldenError.shape(file: path, name: "batch.0.labels", expected: [batch, -1], found: t.shape)
            }
            return .values(t.floats())
        case .tokenClassification: return .tokenLabels(try ints("labels", [batch, seq]))
        case .questionAnswering: return .spans(start: try ints("start_positions", [batch]), end: try ints("end_positions", [batch]))
        case .maskedLM: return .maskedTokens(try ints("labels", [batch, seq]))
        case .nextSentence: return .nextSentence(try ints("labels", [batch]))
        case .replacedTokenDetection: return .replacedTokens(try ints("labels", [batch, seq]))
        case .preTraining:
            return .preTraining(maskedTokens: try ints("labels", [batch, seq]), nextSentence: try ints("next_sentence_label", [batch]))
        case .multipleChoice:
            let t = try tensor("batch.0.labels", why)
            return .choices(try ints("labels", [t.shape.first ?? 0]))
        case .none:
            throw StepGoldenError.architecture(file: path, golden: architecture ?? "a head", model: "BertModel (no head, nothing to train)")
        }
    }

    /// Refuses a golden that was not recorded on this model: another class, a tensor of the step
    /// the model lacks or one of its trained parameters the golden lacks, a shape that differs, or
    /// (with `weights_sha256`) other weights.
    public func check(against t: Trainer) throws {
        let m = t.model
        if let a = architecture, a != m.architecture.className {
            throw StepGoldenError.architecture(file: path, golden: a, model: m.architecture.className)
        }
        let layout = m.parameters.layout
        let frozen = Set(t.frozen.map(\.name))
        for (name, tensor) in file.tensors {
            if Self.perStepSeries.contains(name) || name == "logits.0" || Self.laterSteps.contains(where: name.hasPrefix) { continue }
            guard let kind = Self.stateKinds.first(where: name.hasPrefix) else {
                throw StepGoldenError.unknownTensor(file: path, name: name)
            }
            let p = String(name.dropFirst(kind.count))
            guard let e = layout.entries.first(where: { $0.name == p }) else { throw StepGoldenError.unknownTensor(file: path, name: name) }
            if frozen.contains(p) && kind != "param1." {
                throw StepGoldenError.unknownTensor(file: path, name: name)
            }
            guard tensor.shape == e.shape else { throw StepGoldenError.shape(file: path, name: name, expected: e.shape, found: tensor.shape) }
            guard [.f32, .f64].contains(tensor.dtype) else {
                throw StepGoldenError.dtype(file: path, name: name, expected: "F32", found: tensor.dtype.rawValue)
            }
        }
        for e in layout.entries where !frozen.contains(e.name) {
            for kind in Self.stateKinds where file[kind + e.name] == nil {
                throw StepGoldenError.missingTensor(file: path, name: kind + e.name,
                                                    reason: "bertkit trains \(e.name) (\(m.architecture.className) reads it)")
            }
        }
        _ = try tensor("loss", "the step's loss")
        if let want = weightsSHA256 {
            let have = Self.weightsDigest(m.parameters, names: layout.entries.map(\.name).filter { file["param1." + $0] != nil })
            if have != want { throw StepGoldenError.weights(file: path, golden: want, model: have) }
        }
    }

    /// SHA-256 over the parameters in byte order of their names: each name's UTF-8, a 0 byte, then its
    /// f32 values little-endian, row-major (golden/record.py's `weights_sha256`).
    public static func weightsDigest(_ p: ParameterStore, names: [String]) -> String {
        var h = StreamingSHA256()
        for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            Array(name.utf8 + [0]).withUnsafeBytes { h.update($0) }
            p.values(name).map { $0.bitPattern.littleEndian }.withUnsafeBytes { h.update($0) }
        }
        return h.hex()
    }
}
