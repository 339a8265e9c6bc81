import BertFormats
import Foundation

/// golden/fixtures/families (golden/generate_roberta.py, golden/generate_mpnet.py): tiny random
/// RoBERTa, XLM-RoBERTa and MPNet checkpoints of every head, in each weights format.
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
        // MPNet: every format for every head (its generator has no multi-label model).
        for (h, kind) in heads where h != "multi-label" {
            let keras = h != "masked-lm-untied" && h != "no-pooler"
            out.append(("mpnet-\(h)", kind, ["safetensors", "bin", "h5"] + (keras ? ["keras"] : [])))
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
}
