import BertFormats
import BertTensors
import BertTokenizer
import Foundation

/// Errors of preparing or running a fine-tuning.
public enum FineTuningError: LocalizedError, Equatable {
    case headLabelCount(existing: Int, requested: Int)
    case nonFiniteLoss(step: Int)
    case optimizerState(path: String, reason: String)
    case noExamples(path: String)
    /// The family has no such head (RoBERTa has no next-sentence head).
    case headNotInFamily(family: String, head: HeadKind, heads: [String])
    /// A dropout the family's head has that training does not apply (ALBERT's sentence-order dropout).
    case unsupportedDropout(family: String, head: HeadKind, key: String, rate: Double)

    public var errorDescription: String? {
        switch self {
        case .headLabelCount(let e, let r):
            return "the model's classifier head has \(e) labels but \(r) were requested"
        case .nonFiniteLoss(let s):
            return "the loss became NaN or infinite at step \(s); training stopped and the last good checkpoint was kept"
        case .optimizerState(let p, let r):
            return "\(p): not usable optimizer state: \(r)"
        case .noExamples(let p):
            return "\(p): no training examples"
        case let .headNotInFamily(f, h, heads):
            return "\(f) has no \(h.rawValue) head; its classes are \(heads.joined(separator: ", "))"
        case let .unsupportedDropout(f, h, key, rate):
            return "\(f)'s \(h.rawValue) head drops its pooled output before the sentence-order classifier (\(key) \(rate)), "
                + "which bertkit's training does not do yet; train with \(key) 0 or put a task head on the encoder"
        }
    }
}

extension BertModel {
    /// The model's current parameters as a checkpoint (for saving), f32.
    public func checkpoint(like source: Checkpoint) -> Checkpoint {
        var c = source
        c.parameters = parameters.layout.entries.map { e in
            (e.name, RawTensor(floats: parameters.values(e.name), shape: e.shape))
        }
        return c
    }
}

/// Adam's state beside a saved model: `OUT.optim.safetensors` (moments as F32 tensors laid out like
/// the parameters; step and settings in the metadata).
public enum OptimizerStateFile {
    public static func write(_ o: AdamOptimizer, to path: String) throws {
        let meta: [(key: String, value: String)] = [
            ("format", "bertkit-optimizer"), ("step", String(o.step)), ("kind", o.settings.kind.rawValue),
            ("lr", String(o.settings.learningRate)), ("weight_decay", String(o.settings.weightDecay)),
        ]
        try SafeTensorsWriter.write([("exp_avg", RawTensor(floats: o.exp_avg, shape: [o.exp_avg.count])),
                                     ("exp_avg_sq", RawTensor(floats: o.exp_avg_sq, shape: [o.exp_avg_sq.count]))],
                                    metadata: meta, to: path)
    }

    public static func read(path: String, settings: AdamOptimizer.Settings, parameterCount: Int) throws -> AdamOptimizer {
        let f = try SafeTensorsFile.read(path: path)
        guard let m = f["exp_avg"], let v = f["exp_avg_sq"], m.dtype == .f32, v.dtype == .f32,
              m.elementCount == parameterCount, v.elementCount == parameterCount
        else { throw FineTuningError.optimizerState(path: path, reason: "expected F32 exp_avg and exp_avg_sq of \(parameterCount) values") }
        guard let s = f.metadataDictionary["step"].flatMap(Int.init), s >= 0 else {
            throw FineTuningError.optimizerState(path: path, reason: "no step count in the metadata")
        }
        return AdamOptimizer(settings: settings, step: s, exp_avg: m.floats(), exp_avg_sq: v.floats())
    }
}
