import BertFormats
import BertTensors

/// A BERT model ready to run: transformers' BertModel, the head its architecture names (HeadKind),
/// and sentence-transformers' pooling when the checkpoint has it. Parameters are f32 in one
/// allocation (f16 and bf16 checkpoints are widened when loading). One forward at a time per
/// model: `run` reuses its buffers, and each forward already uses every core.
public final class BertModel: @unchecked Sendable {
    public let config: BertConfig
    public let parameters: ParameterStore
    public let architecture: Architecture
    /// sentence-transformers' modules and settings (modules.json …), when the model has them.
    public let sentenceTransformers: SentenceTransformersSettings?
    /// The Pooling module; without one the model has no sentence embedding.
    public var pooling: SentencePooling? { sentenceTransformers?.pooling }
    /// The width of the sentence embedding (after Dense modules and truncate_dim).
    public let sentenceDimension: Int
    /// The Dense modules' weights in f32, by module folder; `bias` is empty without a bias.
    let denseWeights: [String: (weight: [Float], bias: [Float])]
    public let vocabulary: Vocabulary?
    public let tokenizerSettings: TokenizerSettings?
    /// The tokenizer files as the checkpoint carries them (a pipeline tokenizer is built from these).
    public let tokenizerFiles: [String: [UInt8]]

    /// The inference buffers of the last shape run, reused while the shape stays the same.
    private var cached: ActivationBuffers?
    /// The encoder's weights packed for forwards with few rows, made on first such use (PackedLinear.swift).
    private var packed: PackedLinears?

    /// The packed weights, (re)made if missing or older than the parameters.
    func packedLinears() -> PackedLinears {
        if let p = packed, p.version == parameters.version { return p }
        packed = nil
        let p = PackedLinears(parameters, config: config)
        packed = p
        return p
    }

    /// Bytes held by the packed weights (0 until a forward with few rows made them).
    public var packedWeightBytes: Int { packed?.byteCount ?? 0 }

    public init(checkpoint: Checkpoint) throws {
        try BLAS.load()
        config = checkpoint.config
        architecture = checkpoint.architecture
        sentenceTransformers = checkpoint.sentenceTransformers
        sentenceDimension = checkpoint.sentenceTransformers?.dimension(hiddenSize: config.hiddenSize) ?? config.hiddenSize
        var dense: [String: (weight: [Float], bias: [Float])] = [:]
        let moduleTensors = Dictionary(checkpoint.moduleTensors, uniquingKeysWith: { a, _ in a })
        for m in checkpoint.sentenceTransformers?.modules ?? [] where m.typeName == "Dense" {
            let p = SentenceTransformersSettings.tensorPrefix + m.path + ".linear."
            guard let w = moduleTensors[p + "weight"] else { throw ModelError.missingParameter(p + "weight") }
            dense[m.path] = (w.floats(), moduleTensors[p + "bias"]?.floats() ?? [])
        }
        denseWeights = dense
        vocabulary = checkpoint.vocabulary
        tokenizerSettings = checkpoint.tokenizer
        tokenizerFiles = checkpoint.tokenizerFiles
        parameters = ParameterStore(layout: ParameterLayout(config: config, architecture: architecture))
        try parameters.load(from: checkpoint)
    }

    public var head: HeadKind { architecture.head }

    /// Buffers for one (batch, seq) shape. `keepEveryLayer` keeps each layer's activations and the
    /// attention probabilities (taps, training); without it layers share one set. `allPredictions`
    /// computes the masked-LM logits at every position (the `cls.predictions` tap).
    public func makeBuffers(batch: Int, seq: Int, keepEveryLayer: Bool, allPredictions: Bool = false) -> ActivationBuffers {
        ActivationBuffers(config: config, batch: batch, seq: seq, architecture: architecture,
                          sentenceDimension: pooling != nil ? sentenceDimension : nil, keepEveryLayer: keepEveryLayer,
                          allPredictions: allPredictions)
    }

    /// Runs the forward and copies out the final outputs.
    public func run(_ input: BertInput) throws -> BertOutput {
        let buffers: ActivationBuffers
        if let c = cached, c.batch == input.batch, c.seq == input.seq {
            buffers = c
        } else {
            buffers = makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
            cached = buffers
        }
        try forward(input, into: buffers)
        return BertOutput(buffers: buffers, config: config)
    }

    /// FLOPs of one forward at this shape (multiply-adds count 2), for GFLOPS figures.
    public func flops(batch: Int, seq: Int) -> Double {
        let t = Double(batch * seq), h = Double(config.hiddenSize), i = Double(config.intermediateSize)
        let perLayer = 2 * t * h * 3 * h + 2 * t * h * h + 2 * 2 * t * h * i + 2 * 2 * Double(batch) * Double(seq * seq) * h
        var total = Double(config.appliedLayers) * perLayer
        if architecture.pooler { total += 2 * Double(batch) * h * h }
        switch head {
        case .sequenceClassification: total += 2 * Double(batch) * h * Double(config.numLabels)
        case .tokenClassification: total += 2 * t * h * Double(config.numLabels)
        case .questionAnswering: total += 2 * t * h * 2
        default: break
        }
        return total
    }
}

/// The final outputs of one forward, copied out of the buffers.
public struct BertOutput: Sendable {
    public let batch: Int
    public let seq: Int
    public let hidden: Int
    /// [B, S, H] the last layer's output.
    public let lastHiddenState: [Float]
    /// [B, H], when the model has a pooler.
    public let pooled: [Float]?
    /// The task head's logits (ActivationBuffers.logits), when it has a Linear head.
    public let logits: [Float]?
    /// [B, 2] next-sentence logits, for NSP and pre-training heads.
    public let nextSentenceLogits: [Float]?
    /// [B, D] sentence-transformers embeddings, when the model has pooling.
    public let sentenceEmbeddings: [Float]?
    /// D, the sentence embedding's width.
    public let sentenceDimension: Int
    public let attentionMask: [UInt8]

    init(buffers a: ActivationBuffers, config: BertConfig) {
        let b = a.batch, h = config.hiddenSize
        batch = b
        seq = a.seq
        hidden = h
        func copy(_ p: UnsafeMutablePointer<Float>?, _ n: Int) -> [Float]? { p.map { Array(UnsafeBufferPointer(start: $0, count: n)) } }
        lastHiddenState = copy(a.layers.last?.output ?? a.encoderInput, b * a.seq * h)!
        pooled = copy(a.pooler, b * h)
        let width: Int? = switch a.logitsShape(config: config) { case let s?: s.dropFirst().reduce(1, *); case nil: nil }
        logits = width.flatMap { copy(a.logits, b * $0) }
        nextSentenceLogits = copy(a.nextSentenceLogits, b * 2)
        sentenceEmbeddings = copy(a.sentenceEmbedding, b * a.sentenceDimension)
        sentenceDimension = a.sentenceDimension
        attentionMask = a.input?.attentionMask ?? []
    }

    /// Row `b` of a [B, n] output.
    public static func row(_ values: [Float], _ b: Int, width n: Int) -> [Float] { Array(values[b * n..<(b + 1) * n]) }
}
