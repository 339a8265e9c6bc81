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

            A corpus from --file (one text per line), --jsonl ({"text": ..., "pair": ...} per line) or --csv \
            (a header, then --text-column) is streamed: texts are read and tokenized on one thread while the \
            forward runs on the other cores, a --sort-window of texts is sorted by length and cut into \
            batches of at most --batch-size texts and --max-tokens positions, and the embeddings come out in \
            input order: one JSON line {"line": N, "embedding": [...]} per text on stdout, or with -o a NumPy \
            .npy (float32, [texts, dimension], formats/npy.md), a .safetensors (one F32 tensor "embeddings") \
            or a .jsonl file, which appears only when complete. A bad row (empty, invalid UTF-8, not a JSON \
            object, a missing field) stops the run before any output, naming file:line (exit 2); \
            --skip-bad-rows skips and counts them. Ctrl-C leaves no output, or with --keep-partial the rows \
            done in OUT.partial-N.EXT. The summary (texts/s, tokens/s, padding, peak memory) goes to stderr; \
            with --json it is a JSON object, on stdout when -o is given. A progress line shows on a terminal.

            EXAMPLES
              bertkit embed .cache/models/all-MiniLM-L6-v2 'A man is eating food.' 'Someone eats.'
              bertkit embed minilm.bkm 'Hello, world!' --json > embedding.json
              bertkit embed e5-model 'how do I bake bread' --prompt-name query
              bertkit embed .cache/models/all-MiniLM-L6-v2 --file texts.txt -o embeddings.npy
              cat texts.jsonl | bertkit embed .cache/models/all-MiniLM-L6-v2 --jsonl - --max-tokens 4096 > embeddings.jsonl
              bertkit embed .cache/models/all-MiniLM-L6-v2 --csv reviews.csv --text-column review -o reviews.safetensors --keep-partial
            """)

    @OptionGroup var inputs: TextInputs
    @Option(help: "The prompt of config_sentence_transformers.json to put before each text (default: the model's default prompt).")
    var promptName: String?
    @Flag(help: "Print JSON: {dimension, pooling, embeddings: [[Float]]}; for file inputs, the summary as JSON.") var json = false
    @OptionGroup(title: "File inputs") var corpus: CorpusOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("File inputs: write the embeddings to a .npy, .safetensors or .jsonl file (default: JSON lines on stdout).",
                                                    valueName: "path"))
    var output: String?

    func validate() throws {
        try inputs.requireTexts()
        if output != nil, !inputs.source.given { throw ValidationError("-o goes with --file, --jsonl or --csv") }
        if let o = output, !["npy", "safetensors", "jsonl"].contains(URL(fileURLWithPath: o).pathExtension) {
            throw ValidationError("-o \(o): the output is a .npy, .safetensors or .jsonl file")
        }
    }

    func run() throws {
        try runReportingErrors {
            if inputs.source.given { return try embedCorpus() }
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

extension Embed {
    /// --file/--jsonl/--csv: streamed, bucketed, in input order.
    func embedCorpus() throws {
        let model = try inputs.loadModel()
        if model.pooling == nil {
            Console.log("note: the model has no sentence-transformers pooling (modules.json); using mean pooling")
        }
        let encoder = try model.sentenceEncoder(promptName: promptName, truncate: !inputs.noTruncate, rule: inputs.truncationRule)
        let width = model.embeddingWidth
        var output = CorpusOutput.stdout
        var write: (EncodedRow, [Float]) throws -> String? = { row, v in
            JSONValue.object(JSONObject([("line", .int(row.line)), ("embedding", .array(v.map(\.json)))])).serialized(indent: 0)
        }
        if let path = self.output {
            switch URL(fileURLWithPath: path).pathExtension {
            case "npy":
                let w = try NpyWriter(destination: path, columns: width)
                output = .file(w)
                write = { _, v in try w.append(v); return nil }
            case "safetensors":
                let w = try SafeTensorsRowWriter(destination: path, name: "embeddings", columns: width,
                                                 metadata: [("source", inputs.model), ("texts", inputs.source.path!)])
                output = .file(w)
                write = { _, v in try w.append(v); return nil }
            default:
                let w = try LinesFileWriter(destination: path)
                let line = write
                output = .file(w)
                write = { row, v in try w.append(line(row, v)!); return nil }
            }
        }
        try CorpusJob(verb: "embedded", source: inputs.source, options: corpus, model: model, encoder: encoder, output: output,
                      json: json, forward: model.sentenceEmbeddings, write: write).run()
    }
}
