import BertFormats
import BertModel
import BertTensors
import Foundation

/// One side of a diff: a loadable model, or an activation dump (a golden file) that stands for the
/// model that produced it.
public enum DiffSide: Sendable {
    case model(path: String, checkpoint: Checkpoint, model: BertModel)
    case dump(GoldenFile)

    /// A `.safetensors` file holding `input_ids` is a dump; anything else is loaded as a model.
    public static func load(path: String) throws -> DiffSide {
        if path.hasSuffix(".safetensors"), let st = try? SafeTensorsFile.read(path: path), st["input_ids"] != nil {
            return .dump(try GoldenFile(file: st, layers: layerCount(st)))
        }
        let c = try CheckpointLoader.load(path: path)
        return .model(path: path, checkpoint: c, model: try BertModel(checkpoint: c))
    }

    public var head: HeadKind {
        switch self {
        case .model(_, _, let m): m.head
        case .dump(let g): g.head
        }
    }

    public var path: String {
        switch self {
        case .model(let p, _, _): p
        case .dump(let g): g.path
        }
    }

    public var config: BertConfig? {
        if case .model(_, _, let m) = self { return m.config }
        return nil
    }

    /// A dump names its layers; `last_hidden_state` needs the count, taken from the other names.
    static func layerCount(_ st: SafeTensorsFile) -> Int {
        var n = 0
        for (name, _) in st.tensors {
            if let l = Tap(goldenName: name, layers: 1, head: GoldenFile.head(of: st))?.layer { n = max(n, l + 1) }
        }
        return max(n, 1)
    }
}

/// Every tap a side gives on `input`, in forward order, as plain arrays: one tensor per tap for a
/// model, one per name for a dump (which may name a tap more than once).
struct TapValues {
    struct Recorded {
        /// The name in the dump; nil for a model's own tap.
        var name: String?
        var shape: [Int]
        var floats: [Float]
    }

    var order: [Tap] = []
    var values: [Tap: [Recorded]] = [:]

    /// `choices`: a multiple-choice golden's rows are examples × choices, and its `logits` [examples, choices].
    init(model: BertModel, input: BertInput, choices: Int = 1) throws {
        // The masked-LM logits at every position are compared too: they are the head's output.
        let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: true,
                                        allPredictions: model.head.hasMaskedLM)
        buffers.choices = choices
        try model.forward(input, into: buffers)
        for t in Tap.all(for: model, predictions: model.head.hasMaskedLM) {
            order.append(t)
            values[t] = [Recorded(name: nil, shape: buffers.shape(of: t, config: model.config),
                                  floats: Array(buffers.values(of: t, config: model.config)!))]
        }
    }

    init(dump g: GoldenFile) {
        for group in g.groups {
            order.append(group[0].tap)
            values[group[0].tap] = group.map { Recorded(name: $0.name, shape: $0.tensor.shape, floats: $0.tensor.floats()) }
        }
    }

    /// What the rows of `tap` are called: the dump's names, or the module path for a model.
    func names(_ tap: Tap) -> [String] { (values[tap] ?? []).map { $0.name ?? tap.description } }
}
