import ArgumentParser
import BertFormats
import BertModel
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings with the model's own pooling.",
        discussion: """
            Runs the model's sentence-transformers modules as SentenceTransformer.encode does, from a folder \
            (modules.json, 1_Pooling/…, sentence_bert_config.json, config_sentence_transformers.json) or from \
            the .bkm made of it: Pooling (mean, CLS, max or mean_sqrt_len over the real tokens; the prompt \
            left out when include_prompt is false), then each Dense (linear + Tanh or Identity) and Normalize \
            in their order, then truncate_dim. all-MiniLM-L6-v2 uses mean + normalize. A model without those \
            files gets mean pooling without normalization, which is what sentence-transformers builds for a \
            plain BERT, and a note on stderr.

            The default prompt (default_prompt_name), or the one --prompt-name names, goes before each text; \
            do_lower_case lowercases the input. Texts longer than max_seq_length (else the tokenizer's \
            model_max_length, capped by max_position_embeddings) are truncated with a warning, as \
            sentence-transformers does; --no-truncate refuses them.

            Prints each text's dimension, norm and first values; --json prints every value.

            EXAMPLES
              bertkit embed .cache/models/all-MiniLM-L6-v2 'A man is eating food.' 'Someone eats.'
              bertkit embed minilm.bkm 'Hello, world!' --json > embedding.json
              bertkit embed e5-model 'how do I bake bread' --prompt-name query
            """)

    @OptionGroup var inputs: TextInputs
    @Option(help: "The prompt of config_sentence_transformers.json to put before each text (default: the model's default prompt).")
    var promptName: String?
    @Flag(help: "Print JSON: {dimension, pooling, embeddings: [[Float]]}.") var json = false

    func validate() throws { try inputs.requireTexts() }

    func run() throws {
        try runReportingErrors {
            let (model, encoded, texts) = try inputs.load { m, texts, truncate in
                try m.encodeSentences(texts, promptName: promptName, truncate: truncate, rule: inputs.truncationRule)
            }
            let fallback = SentencePooling(mode: .mean)
            if model.pooling == nil {
                Console.log("note: the model has no sentence-transformers pooling (modules.json); using mean pooling")
            }
            let out = try model.run(encoded.input)
            let d = out.sentenceEmbeddings == nil ? out.hidden : out.sentenceDimension
            let vectors: [[Float]] = (0..<out.batch).map { b in
                if let s = out.sentenceEmbeddings { return BertOutput.row(s, b, width: d) }
                return SentenceEmbedding.pool(out, row: b, pooling: fallback)
            }
            let name = model.pooling != nil ? model.sentenceTransformers!.summary : fallback.mode.rawValue
            if json {
                let o = JSONObject([
                    ("dimension", .int(d)), ("pooling", .string(name)),
                    ("texts", .array(texts.map { .string($0.joined(separator: " ||| ")) })),
                    ("embeddings", .array(vectors.map { .array($0.map { .double(Double($0)) }) })),
                ])
                Console.out(JSONValue.object(o).serialized(indent: 0))
                return
            }
            var lines = ["\(out.batch) embedding\(out.batch == 1 ? "" : "s") of \(d) values (\(name))"]
            for (b, v) in vectors.enumerated() {
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                lines.append("text \(b + 1) \(quoted(texts[b])): norm \(fmt(norm)): " + v.prefix(8).map(fmt).joined(separator: " ") + " …")
            }
            Console.out(lines.joined(separator: "\n"))
        }
    }
}
