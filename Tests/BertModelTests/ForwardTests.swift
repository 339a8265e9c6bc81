import BertFormats
import BertModel
import BertTensors
import TestSupport
import XCTest

/// The whole forward against `ReferenceBert` (float64, transformers' additive mask) on random models.
final class ForwardTests: XCTestCase {
    /// f32 forward vs float64 reference on O(1) activations through a few layers: rounding alone
    /// gives ~1e-6; 2e-5 leaves room without letting a wrong formula through (those are ≥ 1e-3).
    let tolerance: Float = 2e-5

    func compare(_ checkpoint: Checkpoint, ids: [[Int]], types: [[Int]]? = nil, mask: [[Int]]? = nil, promptLength: Int = 0,
                 label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = checkpoint.config
        let model = try BertModel(checkpoint: checkpoint)
        let s = ids[0].count, b = ids.count, h = c.hiddenSize
        let typeRows = types ?? ids.map { $0.map { _ in 0 } }, maskRows = mask ?? ids.map { $0.map { _ in 1 } }
        var input = try BertInput(batch: b, seq: s, inputIds: ids.flatMap { $0 }, tokenTypeIds: typeRows.flatMap { $0 },
                                  attentionMask: maskRows.flatMap { $0 }, config: c)
        input.promptLength = promptLength
        let buffers = model.makeBuffers(batch: b, seq: s, keepEveryLayer: true)
        try model.forward(input, into: buffers)
        let ref = ReferenceBert(checkpoint)
        for r in 0..<b {
            let want = ref.forward(ids: ids[r], types: typeRows[r], mask: maskRows[r], promptLength: promptLength)
            let real = (0..<s).filter { maskRows[r][$0] == 1 }
            let last = buffers.values(of: .output(layer: c.numHiddenLayers - 1), config: c)!
            assertClose(real.flatMap { t in (0..<h).map { last[(r * s + t) * h + $0] } },
                        real.flatMap { t in want.hidden[t].map(Float.init) }, atol: tolerance,
                        label: "\(label) row \(r) last hidden state", file: file, line: line)
            for l in [0, c.numHiddenLayers - 1] {
                let probs = buffers.values(of: .attentionProbs(layer: l), config: c)!
                var got: [Float] = [], exp: [Float] = []
                for hd in 0..<c.numAttentionHeads { for i in real { for j in 0..<s {
                    got.append(probs[((r * c.numAttentionHeads + hd) * s + i) * s + j])
                    exp.append(Float(want.probs[l][hd][i][j]))
                } } }
                assertClose(got, exp, atol: tolerance, label: "\(label) row \(r) layer \(l) probabilities", file: file, line: line)
            }
            if let p = want.pooled {
                assertClose(Array(UnsafeBufferPointer(start: buffers.pooler! + r * h, count: h)), p.map(Float.init), atol: tolerance,
                            label: "\(label) row \(r) pooler", file: file, line: line)
            }
            if let lg = want.logits {
                let n = c.numLabels
                assertClose(Array(UnsafeBufferPointer(start: buffers.logits! + r * n, count: n)), lg.map(Float.init), atol: tolerance,
                            label: "\(label) row \(r) logits", file: file, line: line)
            }
            if let e = want.sentence {
                let d = model.sentenceDimension
                XCTAssertEqual(d, e.count, "\(label): sentence dimension", file: file, line: line)
                assertClose(Array(UnsafeBufferPointer(start: buffers.sentenceEmbedding! + r * d, count: d)), e.map(Float.init), atol: tolerance,
                            label: "\(label) row \(r) sentence embedding", file: file, line: line)
            }
        }
    }

    /// Three rows: full, right-padded, and a pair with token types 0/1/2.
    let ids = [[2, 7, 9, 11, 13, 3, 17, 19, 23], [2, 5, 6, 3, 0, 0, 0, 0, 0], [2, 31, 37, 3, 29, 3, 0, 0, 0]]
    let types = [[0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 2, 0, 1, 1, 0, 0, 0]]
    let mask = [[1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 0, 0, 0]]

    func testEveryHiddenActivationMatchesReference() throws {
        for act in ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"] {
            let c = RandomBert.config(act: act, labels: 3)
            try compare(RandomBert.checkpoint(c, sentenceTransformers: .init(pooling: .mean, normalize: true)), ids: ids, types: types,
                        mask: mask, label: act)
        }
    }

    func testEverySentencePoolingMatchesReference() throws {
        for mode in [SentencePooling.Mode.cls, .mean, .max, .meanSqrtLen] {
            for normalize in [false, true] {
                let ck = RandomBert.checkpoint(RandomBert.config(), sentenceTransformers: .init(pooling: mode, normalize: normalize))
                try compare(ck, ids: ids, types: types, mask: mask, label: "\(mode.rawValue) normalize \(normalize)")
            }
        }
    }

    /// sentence-transformers' Pooling with the prompt left out (CLS then means the first token after
    /// it), Dense with Tanh and with Identity, Normalize between or after them, and truncate_dim.
    func testSentenceTransformersModulesMatchReference() throws {
        typealias M = SentenceTransformersSettings.Module
        for mode in [SentencePooling.Mode.cls, .mean, .max] {
            for includePrompt in [true, false] {
                var st = SentenceTransformersSettings(modules: [
                    M(path: "1_Pooling", .pooling(SentencePooling(mode: mode, includePrompt: includePrompt))),
                    M(path: "2_Dense", .dense(DenseModule(inFeatures: 32, outFeatures: 20, bias: true, activation: .tanh))),
                    M(path: "3_Normalize", .normalize),
                    M(path: "4_Dense", .dense(DenseModule(inFeatures: 20, outFeatures: 7, bias: false, activation: .identity))),
                ])
                st.truncateDim = includePrompt ? nil : 5
                let ck = RandomBert.checkpoint(RandomBert.config(), sentenceTransformers: st)
                try compare(ck, ids: ids, types: types, mask: mask, promptLength: 3, label: "\(mode.rawValue) include_prompt \(includePrompt)")
            }
        }
    }

    func testAwkwardShapesMatchReference() throws {
        // Head sizes 12 (under one vector), 80 (a second column block); 23 tokens (row and key remainders).
        let long = [(0..<23).map { ($0 * 7) % 40 }]
        try compare(RandomBert.checkpoint(RandomBert.config(hidden: 36, heads: 3, intermediate: 20)), ids: long, label: "head 12")
        try compare(RandomBert.checkpoint(RandomBert.config(layers: 1, hidden: 80, heads: 1, intermediate: 64)), ids: long,
                    label: "head 80")
        try compare(RandomBert.checkpoint(RandomBert.config(layers: 1)), ids: [[5]], label: "one token")
    }

    func testMaskWithHolesAndAllMaskedRowMatchReference() throws {
        // Left padding leaves holes before the text; an all-zero mask makes transformers attend uniformly.
        let c = RandomBert.config()
        try compare(RandomBert.checkpoint(c), ids: [[0, 0, 2, 8, 9, 3], [2, 8, 0, 9, 0, 3], [2, 8, 9, 3, 4, 5]],
                    mask: [[0, 0, 1, 1, 1, 1], [1, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0]], label: "holes")
    }

    func testPaddedBatchEqualsEachTextAlone() throws {
        let c = RandomBert.config(labels: 2)
        let model = try BertModel(checkpoint: RandomBert.checkpoint(c, sentenceTransformers: .init(pooling: .mean, normalize: true)))
        let rows = [[2, 7, 9, 11, 3], [2, 5, 3], [2, 31, 37, 3, 29, 3, 8, 9]]
        let batch = try model.run(BertInput(rows: rows, config: c))
        for (r, row) in rows.enumerated() {
            let alone = try model.run(BertInput(rows: [row], config: c))
            assertPaddedRowEqualsAlone(batch, r, alone, tokens: row.count)
        }
    }

    func testPaddedBatchEqualsEachTextAloneMiniLM() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: try Repo.requireMiniLM()))
        let texts = ["Hello, world!", "PyTorch is a great framework for NLP and a lot more than that, as everyone knows.", "Go!"]
        let tokenizer = try model.makeTokenizer()
        let batch = try model.run(BertInput.encode(texts.map { .init($0) }, tokenizer: tokenizer, config: model.config).input)
        for (r, t) in texts.enumerated() {
            let single = try BertInput.encode([.init(t)], tokenizer: tokenizer, config: model.config).input
            assertPaddedRowEqualsAlone(batch, r, try model.run(single), tokens: single.seq)
        }
    }

    /// Rows are computed independently and padded keys are skipped, so what remains is OpenBLAS
    /// choosing other kernels for a 3-row and a 24-row GEMM (another summation order): a few f32
    /// ulps of O(1) values, carried through the layers (≤ 3e-6 measured). A real masking bug is
    /// off by 1e-2 or more.
    let paddedTolerance: Float = 1e-5

    func assertPaddedRowEqualsAlone(_ batch: BertOutput, _ r: Int, _ alone: BertOutput, tokens n: Int,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let h = batch.hidden, s = batch.seq
        assertClose(Array(batch.lastHiddenState[r * s * h..<(r * s + n) * h]), Array(alone.lastHiddenState[0..<n * h]),
                    atol: paddedTolerance, label: "row \(r) hidden states", file: file, line: line)
        if let p = batch.pooled {
            assertClose(BertOutput.row(p, r, width: h), alone.pooled!, atol: paddedTolerance, label: "row \(r) pooler", file: file, line: line)
        }
        if let l = batch.logits {
            let k = l.count / batch.batch
            assertClose(BertOutput.row(l, r, width: k), alone.logits!, atol: paddedTolerance, label: "row \(r) logits", file: file, line: line)
        }
        if let e = batch.sentenceEmbeddings {
            assertClose(BertOutput.row(e, r, width: h), alone.sentenceEmbeddings!, atol: paddedTolerance, label: "row \(r) sentence embedding",
                        file: file, line: line)
        }
    }

    func testReusedBuffersGiveTheSameResult() throws {
        // Inference buffers are shared across layers and calls: a second input of the same shape must
        // not see anything of the first.
        let c = RandomBert.config()
        let model = try BertModel(checkpoint: RandomBert.checkpoint(c))
        let a = try BertInput(rows: [[2, 7, 9, 3], [2, 5, 3]], config: c), b = try BertInput(rows: [[2, 8, 8, 3], [2, 6, 6, 3]], config: c)
        let first = try model.run(a)
        _ = try model.run(b)
        let again = try model.run(a)
        XCTAssertEqual(first.lastHiddenState, again.lastHiddenState)
        XCTAssertEqual(first.pooled, again.pooled)
    }

    func testThreadCountDoesNotChangeResults() throws {
        let c = RandomBert.config(hidden: 64, heads: 4, intermediate: 128)
        let model = try BertModel(checkpoint: RandomBert.checkpoint(c))
        let input = try BertInput(rows: (0..<6).map { r in (0..<(20 + r)).map { ($0 * 13 + r) % 40 } }, config: c)
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        ComputeThreads.set(1)
        let one = try model.run(input)
        ComputeThreads.set(2)
        let two = try model.run(input)
        // OpenBLAS may split a GEMM's K differently with more threads: rounding only.
        assertClose(two.lastHiddenState, one.lastHiddenState, atol: paddedTolerance, label: "1 vs 2 threads")
    }

    func testHalfPrecisionWeightsAreWidenedExactly() throws {
        let c = RandomBert.config()
        for dtype in [DType.f16, .bf16] {
            let ck = RandomBert.checkpoint(c, dtype: dtype)
            let model = try BertModel(checkpoint: ck)
            for (name, t) in ck.parameters {
                XCTAssertEqual(model.parameters.values(name), t.floats(), "\(name) from \(dtype)")
            }
            // ...and the model computes what the reference computes from the same (rounded) weights.
            try compare(ck, ids: ids, types: types, mask: mask, label: "\(dtype) weights")
        }
    }
}
