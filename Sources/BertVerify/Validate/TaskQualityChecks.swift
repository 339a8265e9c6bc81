import BertFormats
import BertModel
import Foundation

/// The Quality check of every task head but sequence classification (ProblemQualityChecks), scored
/// by the code `bertkit evaluate --task` uses. Each task plugs in one `case` of `prepare`: it reads
/// --data (bad input throws, before the model runs) and returns the scoring, which gives the check
/// and its detail lines. Without a bound the check is WARN with its figures.
enum TaskQualityChecks {
    typealias Scoring = () throws -> (ValidationCheck, [String])

    /// The check's name in the report.
    static func name(_ head: HeadKind) -> String {
        switch head {
        case .tokenClassification: "entity F1"
        default: "\(head.rawValue) scores"
        }
    }

    static func prepare(_ model: BertModel, data: String, _ o: Validator.Options) throws -> Scoring {
        switch model.head {
        case .questionAnswering: try QuestionAnsweringQuality.prepare(model, data: data, o)
        case .maskedLM, .preTraining: try maskedLM(model, data: data, o)
        case .multipleChoice: try multipleChoice(model, data: data, o)
        case .tokenClassification: try TokenClassificationQuality.prepare(model, data: data, o)
        default: throw TaskQualityError.noQualityCheck(head: model.head)
        }
    }

    /// A figure against its bound; the check passes when every bound holds.
    static func verdict(_ head: HeadKind, _ bounds: [ProblemQualityChecks.Bound], summary: String, unbounded: String,
                        figures: [String: Double]) -> ValidationCheck {
        guard !bounds.isEmpty else {
            return ValidationCheck("Quality", name(head), .warn, "\(summary) (no \(unbounded) given)", figures: figures)
        }
        let broken = bounds.filter { !$0.holds }
        let shown = broken.isEmpty ? bounds : broken
        return ValidationCheck("Quality", name(head), broken.isEmpty ? .pass : .fail,
                               shown.map(\.text).joined(separator: ", ") + " (\(summary))", figures: figures)
    }
}

/// --data given for a head without a quality check, or a bound the head's task does not have.
public enum TaskQualityError: LocalizedError, Equatable, Sendable {
    case noQualityCheck(head: HeadKind)
    case bound(option: String, head: HeadKind)

    public var errorDescription: String? {
        switch self {
        case .noQualityCheck(let h): "--data: bertkit has no quality check for a \(h.architectureName) (\(h.rawValue))"
        case let .bound(o, h): "\(o) does not apply to a \(h.architectureName) (\(h.rawValue))"
        }
    }
}
