import BertFormats
import Foundation

/// golden/fixtures/families (golden/generate_roberta.py, generate_electra.py, generate_distilbert.py,
/// generate_mpnet.py, generate_albert.py): tiny random RoBERTa, XLM-RoBERTa, ELECTRA, DistilBERT, MPNet and ALBERT checkpoints of every
/// head, in each weights format.
public enum FamilyFixtures {
    /// Fixture names with the head each is and the formats it comes in.
    public static let all: [(name: String, head: HeadKind, formats: [String])] = {
        let heads: [(String, HeadKind)] = [
            ("pooler", .none), ("no-pooler", .none), ("masked-lm", .maskedLM), ("masked-lm-untied", .maskedLM),
            ("sequence-classification", .sequenceClassification), ("multi-label", .sequenceClassification),
            ("regression", .sequenceClassification), ("token-classification", .tokenClassification),
            ("question-answering", .questionAnswering), ("multiple-choice", .multipleChoice),
        ]
        var out: [(String, HeadKind, [String])] = []
        for family in ["roberta", "xlmr"] {
            for (h, kind) in heads {
                var formats = ["safetensors"]
                if family == "roberta" { formats += ["bin", "h5"] }
                if h != "masked-lm-untied", h != "no-pooler" { formats.append("keras") }
                out.append(("\(family)-\(h)", kind, formats))
            }
        }
        // golden/generate_electra.py: embedding_size ≠ hidden_size except model-equal, regression and QA.
        let electra: [(String, HeadKind)] = [
            ("model", .none), ("model-equal", .none), ("masked-lm", .maskedLM), ("masked-lm-untied", .maskedLM),
            ("sequence-classification", .sequenceClassification), ("multi-label", .sequenceClassification),
            ("regression", .sequenceClassification), ("token-classification", .tokenClassification),
            ("question-answering", .questionAnswering), ("multiple-choice", .multipleChoice),
            ("pre-training", .replacedTokenDetection),
        ]
        for (h, kind) in electra {
            out.append(("electra-\(h)", kind, ["safetensors", "bin", "h5"] + (h == "masked-lm-untied" ? [] : ["keras"])))
        }
        // golden/generate_distilbert.py: every head in every format (TFDistilBert… has them all), but
        // TFDistilBertForMaskedLM has no untied decoder.
        let distilbert: [(String, HeadKind)] = [("base", .none), ("sinusoidal", .none)] + heads.filter { $0.0 != "pooler" && $0.0 != "no-pooler" }
        for (h, kind) in distilbert {
            out.append(("distilbert-\(h)", kind, ["safetensors", "bin", "h5"] + (h == "masked-lm-untied" ? [] : ["keras"])))
        }
        // MPNet: every format for every head (its generator has no multi-label model).
        for (h, kind) in heads where h != "multi-label" {
            let keras = h != "masked-lm-untied" && h != "no-pooler"
            out.append(("mpnet-\(h)", kind, ["safetensors", "bin", "h5"] + (keras ? ["keras"] : [])))
        }
        // golden/generate_albert.py: shared layers (4 over 2 groups; model-inner2 2 layers per group), every format.
        let albert: [(String, HeadKind)] = [
            ("model", .none), ("model-inner2", .none), ("model-equal", .none), ("pre-training", .preTraining),
            ("masked-lm", .maskedLM), ("masked-lm-untied", .maskedLM), ("sequence-classification", .sequenceClassification),
            ("token-classification", .tokenClassification), ("question-answering", .questionAnswering),
            ("multiple-choice", .multipleChoice),
        ]
        for (h, kind) in albert {
            out.append(("albert-\(h)", kind, ["safetensors", "bin", "h5"] + (h == "masked-lm-untied" ? [] : ["keras"])))
        }
        return out
    }()

    public static func folder(_ name: String, _ format: String = "safetensors") -> String { Repo.fixture("families/\(name)/\(format)") }

    /// The weights file of a fixture folder.
    public static func weights(_ name: String, _ format: String) -> String {
        let file = ["safetensors": "model.safetensors", "bin": "pytorch_model.bin", "h5": "model.h5", "keras": "tf_model.h5"][format]!
        return folder(name, format) + "/" + file
    }

    /// The fixture's weights bound to its config, without its tokenizer.
    public static func checkpoint(_ name: String, _ format: String = "safetensors") throws -> Checkpoint {
        let config = try BertConfig(contentsOf: folder(name, format) + "/config.json")
        let path = weights(name, format)
        let tensors: NamedTensors = switch format {
        case "safetensors": try SafeTensorsFile.read(path: path).named
        case "bin": try PyTorchBinReader.read(path: path)
        default: try HDF5Reader.read(path: path)
        }
        return try Checkpoint.bind(config: config, tensors: tensors)
    }

    /// Binds the fixture's safetensors weights to its config.json with `fields` set and the tensors
    /// `dropping` names left out: bad-input tests (a config contradicting the weights, a missing tensor).
    public static func bind(_ name: String, setting fields: [String: JSONValue] = [:], dropping: (String) -> Bool = { _ in false }) throws
        -> Checkpoint
    {
        let src = folder(name)
        guard case .object(var o) = try JSONParser.parse(contentsOf: src + "/config.json") else { preconditionFailure("an object") }
        for (k, v) in fields { o[k] = v }
        let all = try SafeTensorsFile.read(path: src + "/model.safetensors").named
        return try Checkpoint.bind(config: try BertConfig(json: o, file: "config.json"),
                                   tensors: NamedTensors(file: all.file, entries: all.entries.filter { !dropping($0.name) }))
    }
}

/// A config.json of any family from key → JSON text pairs over `base` (the family's minimal keys), for
/// config tests that change one field at a time.
public enum FamilyConfigs {
    public static func config(_ fields: [String: String], base: [String: String], file: String = "config.json") throws -> BertConfig {
        let all = base.merging(fields) { $1 }
        let text = "{" + all.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: file) else { preconditionFailure("an object") }
        return try BertConfig(json: o, file: file)
    }
}
