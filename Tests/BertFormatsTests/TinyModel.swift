import TestSupport
import BertFormats
import BertTensors
import Foundation

/// A small BERT built in memory: 1 layer, hidden 4, 2 heads, vocabulary of 8 tokens.
enum TinyModel {
    static func config(labels: Int = 0, extra: String = "") -> BertConfig {
        let id2label = labels == 0 ? "" : #","id2label":{"# + (0..<labels).map { #""\#($0)":"L\#($0)""# }.joined(separator: ",") + "}"
        let arch = labels == 0 ? "BertModel" : "BertForSequenceClassification"
        let text = #"{"architectures":["\#(arch)"],"vocab_size":8,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"max_position_embeddings":6,"type_vocab_size":2,"hidden_act":"gelu_new","custom_key":[1,{"a":null}]\#(id2label)\#(extra)}"#
        let json = try! JSONParser.parse(Array(text.utf8), file: "tiny config").objectValue!
        return try! BertConfig(json: json, file: "tiny config")
    }

    static let vocabulary = try! Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s"])

    /// Deterministic values with a few awkward ones (subnormal, negative zero, large).
    static func values(_ n: Int, seed: Int) -> [Float] {
        (0..<n).map { i in
            switch (i + seed) % 11 {
            case 0: -0.0
            case 1: 1e-40
            case 2: 65504
            default: Float(sin(Double(i * 7 + seed))) * 0.3
            }
        }
    }

    static func checkpoint(labels: Int = 0, dtype: DType = .f32, sentenceTransformers: SentenceTransformersSettings? = nil) -> Checkpoint {
        let c = config(labels: labels)
        let params = parameterTable(c, pooler: true, classifier: labels > 0).enumerated().map { k, p in
            (p.name, RawTensor(floats: values(checkedElementCount(p.shape)!, seed: k), shape: p.shape, dtype: dtype))
        }
        var tok = TokenizerSettings()
        tok.modelMaxLength = 6
        var prov = Provenance()
        prov.sources = [.init(file: "model.safetensors", sha256: String(repeating: "ab", count: 32), bytes: 1234)]
        prov.tool = "bertkit test"
        prov.created = "2024-01-02T03:04:05Z"
        prov.sourceFormat = "safetensors"
        var report = LoadReport()
        report.unused = ["cls.predictions.bias"]
        report.ignored = ["embeddings.position_ids"]
        return Checkpoint(config: c, vocabulary: vocabulary, tokenizer: tok, sentenceTransformers: sentenceTransformers, parameters: params,
                          sourceNames: Dictionary(uniqueKeysWithValues: params.map { ($0.0, "bert." + $0.0) }),
                          provenance: prov, report: report)
    }
}

extension TinyModel {
    typealias Module = SentenceTransformersSettings.Module

    /// Every sentence-transformers setting away from its default: Pooling without the prompt, a
    /// Tanh Dense with bias, Normalize, an Identity Dense without bias; prompts, truncation, lowercasing.
    static var sentenceTransformers: SentenceTransformersSettings {
        var s = SentenceTransformersSettings(modules: [
            Module(path: "1_Pooling", .pooling(SentencePooling(mode: .max, includePrompt: false))),
            Module(path: "2_Dense", .dense(DenseModule(inFeatures: 4, outFeatures: 3, bias: true, activation: .tanh))),
            Module(path: "3_Normalize", .normalize),
            Module(path: "4_Dense", .dense(DenseModule(inFeatures: 3, outFeatures: 2, bias: false, activation: .identity))),
        ], maxSeqLength: 5, doLowerCase: true)
        s.prompts = [.init(name: "query", text: "query: "), .init(name: "doc", text: "")]
        s.defaultPromptName = "query"
        s.similarityFnName = "dot"
        s.truncateDim = 1
        return s
    }

    /// Tokenizer files whose bytes a careless round trip would change: CRLF, a BOM, tabs, NUL and
    /// other controls, U+2028, combining marks (NFC would merge them), an emoji, a backslash.
    static let tokenizerFiles: [String: [UInt8]] = [
        "tokenizer.json": Array("\u{FEFF}{\"truncation\": {\"max_length\": 128},\r\n\t\"x\": \"e\u{301} \u{2028} \u{0} \u{7F} 🧪 \\\\\"}\r\n".utf8),
        "tokenizer_config.json": Array("{\"do_lower_case\": true}".utf8),
    ]

    /// `checkpoint` with `sentenceTransformers`, its Dense weights and `tokenizerFiles`.
    static func sentenceCheckpoint(dtype: DType = .f32) -> Checkpoint {
        var c = checkpoint(dtype: dtype, sentenceTransformers: sentenceTransformers)
        c.moduleTensors = sentenceTransformers.tensorShapes.enumerated().map { k, t in
            (t.name, RawTensor(floats: values(checkedElementCount(t.shape)!, seed: 50 + k), shape: t.shape, dtype: dtype))
        }
        c.tokenizerFiles = tokenizerFiles
        return c
    }
}
