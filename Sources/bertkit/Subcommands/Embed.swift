import ArgumentParser
import BertFormats
import BertModel
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings with the model's own pooling.",
        discussion: """
            Pools the last hidden state as the model's sentence-transformers files say (modules.json and \
            1_Pooling/config.json: mean, CLS, max or mean_sqrt_len over the real tokens, then Normalize when \
            listed); all-MiniLM-L6-v2 uses mean + normalize. A model without those files gets mean pooling \
            without normalization, which is what sentence-transformers builds for a plain BERT, and a note \
            on stderr. Texts longer than sentence_bert_config.json's max_seq_length (when the folder has \
            one) or max_position_embeddings are truncated with a warning, as sentence-transformers does; \
            --no-truncate refuses them.

            Prints each text's dimension, norm and first values; --json prints every value.

            EXAMPLES
              bertkit embed .cache/models/all-MiniLM-L6-v2 'A man is eating food.' 'Someone eats.'
              bertkit embed minilm.bkm 'Hello, world!' --json > embedding.json
            """)

    @OptionGroup var inputs: TextInputs
    @Flag(help: "Print JSON: {dimension, pooling, embeddings: [[Float]]}.") var json = false

    func validate() throws { try inputs.requireTexts() }

    func run() throws {
        try runReportingErrors {
            let (model, encoded, texts) = try inputs.load(limit: SentenceBertConfig.maxSeqLength(model: inputs.model))
            let pooling = model.pooling ?? SentencePooling(mode: .mean, normalize: false)
            if model.pooling == nil {
                Console.log("note: the model has no sentence-transformers pooling (modules.json); using mean pooling")
            }
            let out = try model.run(encoded.input)
            let h = out.hidden
            let vectors: [[Float]] = (0..<out.batch).map { b in
                if let s = out.sentenceEmbeddings { return BertOutput.row(s, b, width: h) }
                return SentenceEmbedding.pool(out, row: b, pooling: pooling)
            }
            let name = pooling.mode.rawValue + (pooling.normalize ? " + normalize" : "")
            if json {
                let o = JSONObject([
                    ("dimension", .int(h)), ("pooling", .string(name)),
                    ("texts", .array(texts.map { .string($0.joined(separator: " ||| ")) })),
                    ("embeddings", .array(vectors.map { .array($0.map { .double(Double($0)) }) })),
                ])
                Console.out(JSONValue.object(o).serialized(indent: 0))
                return
            }
            var lines = ["\(out.batch) embedding\(out.batch == 1 ? "" : "s") of \(h) values (\(name))"]
            for (b, v) in vectors.enumerated() {
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                lines.append("text \(b + 1) \(quoted(texts[b])): norm \(fmt(norm)): " + v.prefix(8).map(fmt).joined(separator: " ") + " …")
            }
            Console.out(lines.joined(separator: "\n"))
        }
    }
}

/// sentence-transformers' `sentence_bert_config.json` beside a model folder's weights.
enum SentenceBertConfig {
    static func maxSeqLength(model: String) -> Int? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDir), isDir.boolValue,
              let v = try? JSONParser.parse(contentsOf: model + "/sentence_bert_config.json"),
              let n = v.objectValue?["max_seq_length"]?.intValue, n > 0 else { return nil }
        return n
    }
}
