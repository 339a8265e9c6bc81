import BertFormats
import BertTensors

extension Checkpoint {
    /// The checkpoint as transformers' `BertFor<Head>.from_pretrained(...)` would load it for
    /// fine-tuning: tensors the head reads are kept, missing ones created as
    /// `BertPreTrainedModel._init_weights` initialises them (modeling_bert.py):
    /// - every Linear (classifier, qa_outputs, pooler, seq_relationship, the MLM transform and an
    ///   untied decoder): weight normal(0, initializer_range), bias zeros;
    /// - LayerNorm (the MLM transform's): weight ones, bias zeros;
    /// - BertLMPredictionHead's bias (`cls.predictions.bias`): zeros; a tied decoder is the word
    ///   embeddings, so nothing new.
    /// Every other tensor is left out and listed in `report.unused` (transformers reports it
    /// unexpected). Returns the names created, sorted, for transformers' "newly initialized" report.
    ///
    /// `labels` name the classes of the classifier heads (sequence and token classification) and
    /// set id2label; other heads ignore them. A stored `classifier` of the right size is kept
    /// whatever head it came from (as from_pretrained loads it); one of another size is refused
    /// unless `resetHead`, which also re-creates a stored classifier or qa_outputs. New tensors are
    /// drawn from `seed`, head first (in forward order), then the pooler.
    public func forHead(_ kind: HeadKind, labels: [String], resetHead: Bool = false, seed: UInt64) throws -> (Checkpoint, newWeights: [String]) {
        precondition(kind != .none, "a head to fine-tune")
        let family = architecture.family
        guard family.has(kind) else { throw FineTuningError.headNotInFamily(family: family.displayName, head: kind, heads: family.classNames) }
        var c = self
        if kind.classifierRows(c.config) != nil, kind != .multipleChoice { c.config.id2label = labels }
        let target = Architecture(modelType: architecture.modelType, head: kind, pooler: family.usesPooler(kind) ?? false,
                                  tiedDecoder: architecture.tiedDecoder)
        let wanted = target.parameters(c.config)
        let wantedNames = Set(wanted.map(\.name.name))
        let resettable: Set<BertParameter> = [.head(.classifierWeight), .head(.classifierBias), .head(.classifierDenseWeight),
                                              .head(.classifierDenseBias), .head(.qaWeight), .head(.qaBias)]
        if let rows = self[BertParameter.head(.classifierWeight).name]?.shape.first,
           let want = kind.classifierRows(c.config), rows != want, !resetHead {
            throw FineTuningError.headLabelCount(existing: rows, requested: want)
        }
        func keeps(_ p: BertParameter, _ shape: [Int]) -> Bool {
            guard let t = self[p.name], t.shape == shape else { return false }
            return !(resetHead && resettable.contains(p))
        }
        c.report.unused += c.parameters.map(\.name).filter { !wantedNames.contains($0) }
        let kept = Set(wanted.filter { keeps($0.name, $0.shape) }.map(\.name.name))
        c.parameters.removeAll { !kept.contains($0.name) }

        var rng = SeededGenerator(seed: seed)
        let range = config.initializerRange
        var created: [String] = []
        let missing = wanted.filter { !kept.contains($0.name.name) }
        // The head's tensors draw before the pooler's (the order bertkit has always used).
        for (p, shape) in missing.filter({ if case .pooler = $0.name { false } else { true } })
            + missing.filter({ if case .pooler = $0.name { true } else { false } }) {
            let n = shape.reduce(1, *)
            let values: [Float]
            switch Self.initialisation(p) {
            case .normal: values = (0..<n).map { _ in Float(rng.normal() * range) }
            case .zeros: values = [Float](repeating: 0, count: n)
            case .ones: values = [Float](repeating: 1, count: n)
            }
            c.parameters.append((p.name, RawTensor(floats: values, shape: shape)))
            created.append(p.name)
        }
        let order = Dictionary(uniqueKeysWithValues: wanted.enumerated().map { ($1.name.name, $0) })
        c.parameters.sort { order[$0.name]! < order[$1.name]! }
        c.config.architectures = [family.className(kind)]
        c.architecture = target
        return (c, created.sorted())
    }

    enum Initialisation { case normal, zeros, ones }

    /// `_init_weights` by module: Linear weights normal, LayerNorm weights ones, every bias zeros.
    static func initialisation(_ p: BertParameter) -> Initialisation {
        switch p {
        case .pooler(.weight): .normal
        case .head(.classifierWeight), .head(.classifierDenseWeight), .head(.qaWeight), .head(.nspWeight), .head(.mlmTransformWeight),
             .head(.mlmDecoderWeight): .normal
        case .head(.mlmNormWeight), .embeddings(.normWeight): .ones
        default: .zeros
        }
    }

    /// The checkpoint as transformers' `BertForSequenceClassification.from_pretrained(..., num_labels)`
    /// would load it (`forHead(.sequenceClassification, …)`).
    public func forSequenceClassification(labels: [String], resetHead: Bool, seed: UInt64) throws -> (Checkpoint, newWeights: [String]) {
        try forHead(.sequenceClassification, labels: labels, resetHead: resetHead, seed: seed)
    }
}
