import BertFormats
import BertModel
import BertVerify

/// What to do next, for library errors whose fix is a command-line flag: the library says what is
/// wrong, the CLI says which of its options helps.
enum Hints {
    static func hint(for error: Error) -> String? {
        switch error {
        case LoadError.needsConfig(_, let beside?):
            return "pass --config \(beside), or give the folder instead of the file"
        case LoadError.needsConfig(_, nil):
            return "pass --config FILE with the model's config.json"
        case FineTuningError.headLabelCount:
            return "pass --reset-head to replace the head with a new one"
        case let e as TextLinesError where e.line > 0 && !e.problem.contains("UTF-8"):
            return "pass --skip-bad-rows to skip blank lines (as run_mlm.py --line_by_line does)"
        case let e as MultipleChoiceDataError where e.line > 0:
            return "fix the row, or pass --skip-bad-rows to skip it"
        case MaskingError.nothingMasked:
            return "use longer documents, a larger --batch-size or a higher --mlm-probability"
        case FineTuningError.nonFiniteLoss:
            return "lower --lr or set --clip-norm"
        case CheckpointError.labelCountMismatch:
            return "fix id2label in config.json, or (finetune) pass --reset-head to start a new classifier"
        case ModelError.sequenceTooLong(_, let m, _):
            return "shorten the input; bertkit truncates to \(m) tokens unless --no-truncate is given"
        case ModelError.textTooLong(_, _, let l):
            return "leave out --no-truncate to keep its first \(l) tokens"
        case is TaggedDataError:
            return "fix the line, or pass --skip-bad-rows to leave out (and count) the sentences with bad lines"
        case ModelError.wrongHead(let expected, _):
            return "fine-tune one first: bertkit finetune MODEL --task \(expected.rawValue) --train DATA -o out"
        case ModelError.noClassifier:
            return "fine-tune it first: bertkit finetune MODEL --train data.csv --labels a,b,c -o out.bkm"
        case let e as QuestionAnsweringInputError:
            switch e.problem {
            case .noRoomForContext: return "shorten the question, or raise --max-seq-len"
            case .strideNotBelowWindow: return "lower --doc-stride, or raise --max-seq-len"
            default: return nil
            }
        case QuestionAnsweringError.badOption(let name, _, _):
            return "set --" + name.replacingOccurrences(of: "_", with: "-")
        case QuestionAnsweringError.tokenizerPadsLeft:
            return "set \"padding_side\": \"right\" in tokenizer_config.json to put the question first"
        case CheckpointError.unexpectedTensors:
            return "check num_hidden_layers and the other sizes in config.json; --drop-unexpected converts without these tensors "
                + "(and records them)"
        case CheckpointError.nonFiniteWeights:
            return "the checkpoint is broken (or --dtype f16 overflowed): leave out --strict-finite to convert it as it is, "
                + "or see bertkit validate"
        case CheckpointError.vocabularySize:
            return "pass --vocab with the vocab.txt (or tokenizer.json) this model was trained with, or fix vocab_size in config.json"
        case ArchitectureError.ambiguousHead, ArchitectureError.unexplainedHeads(_, nil, _):
            return "add \"architectures\": [\"BertFor…\"] to config.json to name the model's class"
        case is SQuADError:
            return "--skip-bad-rows skips a bad question (not a broken file) and counts it"
        case let e as QualityBoundError:
            let fits = switch e.problem {
            case .singleLabel: "--min-accuracy"
            case .multiLabel: "--min-accuracy (per-label accuracy) or --min-f1 (micro F1)"
            case .regression: "--max-mse"
            }
            return "use \(fits) for a \(e.problem.rawValue) model."
        default:
            return nil
        }
    }
}
