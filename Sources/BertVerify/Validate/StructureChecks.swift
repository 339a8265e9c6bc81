import BertFormats
import BertTensors
import BertTokenizer
import Foundation

/// Structure: the file holds what the config promises (transformers' BertModel/BertForSequence-
/// Classification parameter table, WeightNames).
enum StructureChecks {
    /// A .bkm's per-tensor CRC-32C, every tensor checked (not stopping at the first bad one).
    static func checksums(_ f: BKMFile) -> ValidationCheck {
        var bad: [String] = []
        for e in f.entries {
            do { _ = try f.tensor(e, verify: true) } catch { bad.append(e.name) }
        }
        return .passIf(bad.isEmpty, "Structure", "bkm checksums",
                       pass: "all \(f.entries.count) tensor CRC-32C checksums match",
                       fail: "checksum mismatch in \(bad.count) tensor(s): \(bad.joined(separator: ", "))"
                           + " ---> HINT: the file was damaged after writing; re-convert it from the source checkpoint",
                       figures: ["bad_tensors": Double(bad.count)])
    }

    static func run(_ c: Checkpoint) -> [ValidationCheck] {
        var out: [ValidationCheck] = []
        let cfg = c.config
        let have = Dictionary(c.parameters.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
        let want = c.architecture.parameters(cfg).map { (name: $0.name.name, shape: $0.shape) }
        let missing = want.filter { have[$0.name] == nil }.map(\.name)
        let misshapen = want.compactMap { w in have[w.name].flatMap { $0 == w.shape ? nil : "\(w.name) is \($0), config says \(w.shape)" } }
        out.append(.passIf(missing.isEmpty && misshapen.isEmpty, "Structure", "tensors present and shaped",
                           pass: "\(want.count) tensors of \(c.architecture.className), each shaped as config.json says",
                           fail: (missing.isEmpty ? [] : ["missing: " + missing.joined(separator: ", ")]).joined() + (misshapen.isEmpty ? "" : (missing.isEmpty ? "" : "; ") + misshapen.joined(separator: "; "))))

        let rows = have["embeddings.word_embeddings.weight"]?.first ?? cfg.vocabSize
        if let v = c.vocabulary {
            // A vocabulary shorter than the table is legal (reserved rows); longer gives ids past it.
            let status: ValidationCheck.Status = v.count == rows ? .pass : (v.count < rows ? .warn : .fail)
            out.append(ValidationCheck("Structure", "vocabulary rows = embedding rows", status,
                                       "vocabulary has \(v.count) tokens, word_embeddings has \(rows) rows",
                                       figures: ["vocabulary": Double(v.count), "embedding_rows": Double(rows)]))
            let s = c.tokenizer ?? TokenizerSettings()
            let special = [s.clsToken, s.sepToken, s.padToken, s.unkToken, s.maskToken]
            let absent = special.filter { v[$0] == nil }
            // [MASK] is only needed for masked-LM use; the others are used by every encoding.
            let status2: ValidationCheck.Status = absent.isEmpty ? .pass : (absent == [s.maskToken] ? .warn : .fail)
            out.append(ValidationCheck("Structure", "special tokens in vocabulary", status2,
                                       absent.isEmpty ? "\(special.joined(separator: " ")) all present" : "not in the vocabulary: \(absent.joined(separator: " "))"))
        } else if let t = try? c.makeTokenizer(source: "the tokenizer", configFile: "config.json") {
            // A tokenizers pipeline (RoBERTa's BPE, XLM-R's Unigram): its ids, added tokens included.
            let n = t.vocabularySize
            let status: ValidationCheck.Status = n == rows ? .pass : (n < rows ? .warn : .fail)
            out.append(ValidationCheck("Structure", "vocabulary rows = embedding rows", status,
                                       "the tokenizer has \(n) ids, word_embeddings has \(rows) rows",
                                       figures: ["vocabulary": Double(n), "embedding_rows": Double(rows)]))
        } else {
            out.append(ValidationCheck("Structure", "vocabulary rows = embedding rows", .fail,
                                       "the model has no vocabulary (vocab.txt or tokenizer.json): it cannot tokenize text"))
        }
        if let rows = c.head.classifierRows(cfg) {
            let clsRows = have[BertParameter.head(.classifierWeight).name]?.first ?? -1
            let what = c.head == .multipleChoice ? "1 score per choice" : "\(cfg.numLabels) labels (\(cfg.id2label.joined(separator: ", ")))"
            out.append(.passIf(clsRows == rows, "Structure",
                               c.head == .multipleChoice ? "one classifier row per choice" : "id2label count = classifier rows",
                               pass: "\(what), \(clsRows) classifier rows",
                               fail: "\(c.architecture.className) needs \(rows) classifier rows (\(what)) but classifier.weight has \(clsRows)"))
        }
        if c.architecture.family.usesPooler(c.head) == true {
            out.append(.passIf(have[BertParameter.pooler(.weight).name] != nil, "Structure", "pooler present for the head",
                               pass: "the \(c.head.rawValue) head reads pooler.dense",
                               fail: "\(c.architecture.className) reads the pooled [CLS], but pooler.dense is not in the checkpoint"))
        }
        return out
    }
}
