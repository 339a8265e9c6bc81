import TestSupport
import BertFormats
import BertModel
import BertTensors
import Foundation

/// transformers' BertModel / BertForSequenceClassification written out plainly in float64, one
/// row at a time, with the additive attention mask exactly as modeling_bert.py applies it. The
/// forward under test must match it to f32 rounding.
struct ReferenceBert {
    let config: BertConfig
    let p: [String: [Double]]
    let sentenceTransformers: SentenceTransformersSettings?

    init(_ checkpoint: Checkpoint) {
        config = checkpoint.config
        sentenceTransformers = checkpoint.sentenceTransformers
        var p: [String: [Double]] = [:]
        for (n, t) in checkpoint.parameters + checkpoint.moduleTensors { p[n] = t.floats().map(Double.init) }
        self.p = p
    }

    struct Row {
        var hidden: [[Double]]          // [S][H] last layer
        var probs: [[[[Double]]]]       // [layer][head][S][S]
        var pooled: [Double]?
        var logits: [Double]?
        var sentence: [Double]?
    }

    func linear(_ x: [Double], _ name: String, out n: Int) -> [Double] {
        let w = p[name + ".weight"]!, b = p[name + ".bias"]!, k = x.count
        return (0..<n).map { o in b[o] + (0..<k).reduce(0.0) { $0 + w[o * k + $1] * x[$1] } }
    }

    func layerNorm(_ x: [Double], _ name: String) -> [Double] {
        let m = x.reduce(0, +) / Double(x.count)
        let v = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)
        let w = p[name + ".weight"]!, b = p[name + ".bias"]!
        return x.enumerated().map { ($1 - m) / (v + config.layerNormEps).squareRoot() * w[$0] + b[$0] }
    }

    func act(_ x: Double) -> Double {
        switch config.hiddenAct {
        case .gelu: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .geluTanh: 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .relu: max(x, 0)
        case .silu: x / (1 + exp(-x))
        }
    }

    /// `promptLength`: positions sentence pooling leaves out when include_prompt is false.
    func forward(ids: [Int], types: [Int], mask: [Int], promptLength: Int = 0) -> Row {
        let c = config, h = c.hiddenSize, s = ids.count, heads = c.numAttentionHeads, dh = h / heads
        let word = p["embeddings.word_embeddings.weight"]!, pos = p["embeddings.position_embeddings.weight"]!
        let typ = p["embeddings.token_type_embeddings.weight"]!
        var x = (0..<s).map { t in
            layerNorm((0..<h).map { word[ids[t] * h + $0] + typ[types[t] * h + $0] + pos[t * h + $0] }, "embeddings.LayerNorm")
        }
        var allProbs: [[[[Double]]]] = []
        for l in 0..<c.numHiddenLayers {
            let n = "encoder.layer.\(l)."
            let q = x.map { linear($0, n + "attention.self.query", out: h) }
            let k = x.map { linear($0, n + "attention.self.key", out: h) }
            let v = x.map { linear($0, n + "attention.self.value", out: h) }
            var ctx = [[Double]](repeating: [Double](repeating: 0, count: h), count: s)
            var layerProbs: [[[Double]]] = []
            for hd in 0..<heads {
                var probs: [[Double]] = []
                for i in 0..<s {
                    var sc = (0..<s).map { j in
                        (0..<dh).reduce(0.0) { $0 + q[i][hd * dh + $1] * k[j][hd * dh + $1] } / Double(dh).squareRoot()
                            + (mask[j] == 1 ? 0 : -3.4028234663852886e38)
                    }
                    let m = sc.max()!
                    sc = sc.map { exp($0 - m) }
                    let z = sc.reduce(0, +)
                    sc = sc.map { $0 / z }
                    probs.append(sc)
                    for d in 0..<dh { ctx[i][hd * dh + d] = (0..<s).reduce(0.0) { $0 + sc[$1] * v[$1][hd * dh + d] } }
                }
                layerProbs.append(probs)
            }
            allProbs.append(layerProbs)
            let attn = (0..<s).map { t in
                layerNorm(zip(linear(ctx[t], n + "attention.output.dense", out: h), x[t]).map(+), n + "attention.output.LayerNorm")
            }
            x = (0..<s).map { t in
                let inter = linear(attn[t], n + "intermediate.dense", out: c.intermediateSize).map(act)
                return layerNorm(zip(linear(inter, n + "output.dense", out: h), attn[t]).map(+), n + "output.LayerNorm")
            }
        }
        var row = Row(hidden: x, probs: allProbs)
        if p["pooler.dense.weight"] != nil {
            row.pooled = linear(x[0], "pooler.dense", out: h).map { tanh($0) }
            if p["classifier.weight"] != nil { row.logits = linear(row.pooled!, "classifier", out: c.numLabels) }
        }
        if let st = sentenceTransformers, let pooling = st.pooling {
            let skip = pooling.includePrompt ? 0 : promptLength
            let real = (0..<s).filter { mask[$0] == 1 && $0 >= skip }
            var e: [Double]
            switch pooling.mode {
            case .cls: e = x[real.first ?? 0]
            case .mean, .meanSqrtLen:
                e = (0..<h).map { j in real.reduce(0.0) { $0 + x[$1][j] } }
                let d = pooling.mode == .mean ? Double(real.count) : Double(real.count).squareRoot()
                e = e.map { $0 / d }
            case .max: e = (0..<h).map { j in real.map { x[$0][j] }.max()! }
            }
            for m in st.modules.dropFirst() {
                switch m.kind {
                case .dense(let d):
                    let w = p["sentence_transformers.\(m.path).linear.weight"]!, b = p["sentence_transformers.\(m.path).linear.bias"]
                    e = (0..<d.outFeatures).map { o in
                        let y = (b?[o] ?? 0) + (0..<d.inFeatures).reduce(0.0) { $0 + w[o * d.inFeatures + $1] * e[$1] }
                        return d.activation == .tanh ? tanh(y) : y
                    }
                case .normalize:
                    let norm = e.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    e = e.map { $0 / max(norm, 1e-12) }
                case .pooling: break
                }
            }
            row.sentence = Array(e.prefix(st.truncateDim ?? e.count))
        }
        return row
    }
}

/// Random BERT checkpoints of any shape, built in memory.
enum RandomBert {
    static func config(act: String = "gelu", layers: Int = 2, hidden: Int = 32, heads: Int = 4, intermediate: Int = 48,
                       vocab: Int = 40, positions: Int = 64, types: Int = 3, labels: Int = 0) -> BertConfig {
        var o = JSONObject([
            ("architectures", .array([.string(labels > 0 ? "BertForSequenceClassification" : "BertModel")])),
            ("vocab_size", .int(vocab)), ("hidden_size", .int(hidden)), ("num_hidden_layers", .int(layers)),
            ("num_attention_heads", .int(heads)), ("intermediate_size", .int(intermediate)), ("hidden_act", .string(act)),
            ("max_position_embeddings", .int(positions)), ("type_vocab_size", .int(types)), ("layer_norm_eps", .double(1e-12)),
        ])
        if labels > 0 { o["num_labels"] = .int(labels) }
        return try! BertConfig(json: o, file: "random config")
    }

    static func checkpoint(_ c: BertConfig, seed: UInt64 = 1, pooler: Bool = true, sentenceTransformers: SentenceTransformersSettings? = nil,
                           dtype: DType = .f32) -> Checkpoint {
        var rng = SeededRandom(seed: seed)
        let params = parameterTable(c, pooler: pooler, classifier: c.numLabels > 0).map { name, shape in
            let n = shape.reduce(1, *)
            // LayerNorm weights near 1, everything else like BERT's init (std 0.02) but larger so
            // that activations are O(1) and differences show.
            let values: [Float] = name.hasSuffix("LayerNorm.weight")
                ? (0..<n).map { _ in Float(1 + 0.1 * rng.normal()) }
                : (0..<n).map { _ in Float(0.3 * rng.normal()) }
            return (name: name, tensor: RawTensor(floats: values, shape: shape, dtype: dtype))
        }
        let vocab = try! Vocabulary(tokens: (0..<c.vocabSize).map { ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].indices.contains($0) ? ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"][$0] : "w\($0)" })
        var ck = Checkpoint(config: c, vocabulary: vocab, tokenizer: TokenizerSettings(), sentenceTransformers: sentenceTransformers,
                            parameters: params)
        ck.moduleTensors = (sentenceTransformers?.tensorShapes ?? []).map { name, shape in
            (name, RawTensor(floats: (0..<shape.reduce(1, *)).map { _ in Float(0.3 * rng.normal()) }, shape: shape, dtype: dtype))
        }
        return ck
    }
}
