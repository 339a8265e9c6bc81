import ArgumentParser
import BertFormats
import BertTensors
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's config, vocabulary and tensors with statistics.",
        discussion: """
            PATH is a HuggingFace model folder, a weights file (.safetensors, model.safetensors.index.json, \
            .h5, .bin) or a .bkm file. Tensors are listed under the names the file gives them, with dtype, \
            shape, bytes, min/max/mean/std (float64, NaN and Inf left out and counted) — then parameter \
            totals and what does not bind to the config (missing, wrong shape, unused, unexpected).

            Statistics read every listed tensor. --no-stats reads none; --tensor NAME reads only NAME \
            (a .bkm's other tensors are never touched, and only the read tensors' checksums are verified).

            Exit status 2 when a file is malformed or the tensors do not make a model of the config.

            EXAMPLES
              bertkit inspect .cache/models/all-MiniLM-L6-v2
              bertkit inspect model.bkm --no-stats
              bertkit inspect model.bkm --tensor embeddings.word_embeddings.weight --json
              bertkit inspect weights.safetensors --config config.json
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var path: String
    @Flag(help: "Print JSON (the per-tensor keys of golden/expected/*.inspect.json).") var json = false
    @Flag(help: "Do not read tensor data: no statistics.") var noStats = false
    @Option(name: .customLong("tensor"), help: "Show only this tensor (repeatable).") var tensors: [String] = []
    @Option(help: "A config.json for a bare weights file.") var config: String?
    @Option(help: "A vocab.txt or tokenizer.json for a bare weights file.") var vocab: String?

    func run() throws {
        try runReportingErrors {
            let r = try ModelInspection.inspect(path: path, configOverride: config, vocabOverride: vocab, stats: !noStats,
                                                only: tensors.isEmpty ? nil : tensors)
            Console.out(json ? r.json.serialized(indent: 2) : InspectText.render(r))
            if !r.problems.isEmpty {
                Console.error("\(path): the tensors do not make a model of the config (see the report above)")
                throw Exit.badInput
            }
        }
    }
}

/// The human-readable inspect report.
enum InspectText {
    static func render(_ r: ModelInspection) -> String {
        var out: [String] = ["\(r.path)  (\(r.format.rawValue))"]
        if r.files.count > 1 || r.files.first != r.path { out.append("files: " + r.files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) }
        if let c = r.config {
            out.append("")
            out.append("config: \(c.architectures.isEmpty ? "(no architecture)" : c.architectures.joined(separator: ", "))")
            out.append("  layers \(c.numHiddenLayers), hidden \(c.hiddenSize), heads \(c.numAttentionHeads), intermediate \(c.intermediateSize), \(c.hiddenActName)")
            out.append("  vocab_size \(c.vocabSize), max_position \(c.maxPositionEmbeddings), type_vocab \(c.typeVocabSize), layer_norm_eps \(c.layerNormEps)")
            if !c.id2label.isEmpty {
                out.append("  labels (\(c.numLabels)): " + c.id2label.enumerated().map { "\($0)=\($1)" }.joined(separator: ", ")
                           + (c.problemType.map { "  [\($0.rawValue)]" } ?? ""))
            }
        } else {
            out.append("config: none (pass --config to check the tensors against one)")
        }
        if let v = r.vocabulary {
            let specials = r.specialTokens.map { "\($0.token)=\($0.id.map(String.init) ?? "MISSING")" }.joined(separator: " ")
            out.append("vocabulary: \(v.count) tokens; \(specials); lowercase \(r.tokenizer?.doLowerCase ?? true)")
        }
        if let a = r.architecture { out.append("architecture: " + describe(a)) }
        if let s = r.sentenceTransformers {
            var line = "pooling: \(s.summary.isEmpty ? "none" : s.summary) (sentence-transformers)"
            if let n = s.maxSeqLength { line += "; max_seq_length \(n)" }
            if s.doLowerCase { line += "; lowercases the input" }
            if !s.prompts.isEmpty {
                line += "; prompts " + s.prompts.map(\.name).joined(separator: ", ") + (s.defaultPromptName.map { " (default \($0))" } ?? "")
            }
            if let t = s.truncateDim { line += "; truncate_dim \(t)" }
            out.append(line)
        }
        if let p = r.provenance {
            out.append("provenance: \(p.tool), \(p.created), from \(p.sourceFormat)")
            for s in p.sources { out.append("  \(s.file)  \(s.bytes) bytes  \(s.sha256.isEmpty ? "" : "sha256 " + s.sha256)") }
        }
        out.append("")
        out.append(table(r.rows))
        out.append("")
        out.append("total: \(r.totalTensors) tensors, \(grouped(r.totalParameters)) parameters, \(grouped(r.totalBytes)) bytes")
        let rep = r.report, prob = r.problems
        func list(_ title: String, _ names: [String]) { if !names.isEmpty { out.append("\(title) (\(names.count)): " + names.joined(separator: ", ")) } }
        if !prob.missing.isEmpty {
            out.append("MISSING (\(prob.missing.count)):")
            out += prob.missing.map { "  \($0.name) \($0.shape)" }
        }
        if !prob.wrongShapes.isEmpty {
            out.append("WRONG SHAPE (\(prob.wrongShapes.count)):")
            out += prob.wrongShapes.map { "  \($0.name): expected \($0.expected), found \($0.found)" }
        }
        if let o = prob.other { out.append("DOES NOT LOAD: \(o)") }
        list("unused (not carried)", rep.unused)
        list("tied (stored once)", rep.tied)
        list("unexpected", rep.unexpected)
        list("ignored buffers", rep.ignored)
        for w in rep.warnings { out.append("warning: \(w)") }
        if r.config != nil, prob.isEmpty { out.append("loads: yes (every parameter present with the config's shape)") }
        return out.joined(separator: "\n")
    }

    /// "BertForMaskedLM: bert encoder, no pooler, masked-lm head, decoder tied to the word embeddings".
    static func describe(_ a: Architecture) -> String {
        var parts = ["\(a.modelType) encoder", a.pooler ? "pooler" : "no pooler", a.head == .none ? "no head" : "\(a.head.rawValue) head"]
        if a.head.hasMaskedLM { parts.append(a.tiedDecoder ? "decoder tied to the word embeddings" : "decoder untied") }
        if !a.carried.isEmpty { parts.append("also carries " + a.carried.map(\.name).joined(separator: ", ")) }
        return a.className + ": " + parts.joined(separator: ", ")
    }

    static func table(_ rows: [ModelInspection.Row]) -> String {
        let withStats = rows.contains { $0.stats != nil }
        var header = ["name", "dtype", "shape", "bytes"]
        if withStats { header += ["min", "max", "mean", "std", "nan", "inf"] }
        let body = rows.map { r -> [String] in
            var cells = [r.name, r.dtype.rawValue, "[" + r.shape.map(String.init).joined(separator: ", ") + "]", grouped(r.bytes)]
            if withStats {
                let s = r.stats
                cells += [s?.min, s?.max, s?.mean, s?.std].map { $0.map { String(format: "%.6g", $0) } ?? "-" }
                cells += [s.map { String($0.nan) } ?? "-", s.map { String($0.inf) } ?? "-"]
            }
            return cells
        }
        let widths = header.indices.map { i in ([header] + body).map { $0[i].count }.max()! }
        let numeric = Set(3..<header.count)
        return ([header] + body).map { row in
            row.enumerated().map { i, c in
                numeric.contains(i) ? String(repeating: " ", count: widths[i] - c.count) + c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        return s.enumerated().map { i, ch in (i > 0 && (s.count - i) % 3 == 0 ? "," : "") + String(ch) }.joined()
    }
}
