import Foundation
import BertFormats

/// What `run` does with a model, named as transformers' pipelines name their tasks, and which heads
/// can do each.
public enum PipelineTask: String, CaseIterable, Sendable {
    case textClassification = "text-classification"
    case featureExtraction = "feature-extraction"
    case fillMask = "fill-mask"
    case tokenClassification = "token-classification"
    case questionAnswering = "question-answering"
    case nextSentence = "next-sentence"
    case multipleChoice = "multiple-choice"
    /// ELECTRA's discriminator: each token's probability of having been replaced (no transformers
    /// pipeline; the model card's sigmoid of the logits).
    case replacedTokenDetection = "replaced-token-detection"

    /// The task a model's head is for.
    public static func `default`(for head: HeadKind) -> PipelineTask {
        switch head {
        case .none: .featureExtraction
        case .sequenceClassification: .textClassification
        case .maskedLM, .preTraining: .fillMask
        case .nextSentence: .nextSentence
        case .tokenClassification: .tokenClassification
        case .questionAnswering: .questionAnswering
        case .multipleChoice: .multipleChoice
        case .replacedTokenDetection: .replacedTokenDetection
        }
    }

    /// The heads that can run the task. Every model extracts features.
    public var heads: [HeadKind] {
        switch self {
        case .featureExtraction: HeadKind.allCases
        case .textClassification: [.sequenceClassification]
        case .fillMask: [.maskedLM, .preTraining]
        case .nextSentence: [.nextSentence, .preTraining]
        case .tokenClassification: [.tokenClassification]
        case .questionAnswering: [.questionAnswering]
        case .multipleChoice: [.multipleChoice]
        case .replacedTokenDetection: [.replacedTokenDetection]
        }
    }

    /// Throws unless `architecture`'s head can run the task.
    public func check(_ architecture: Architecture) throws {
        guard heads.contains(architecture.head) else {
            throw PipelineError.taskNotSupported(task: rawValue, architecture: architecture.className,
                                                 supportedBy: heads.filter(architecture.family.has).map(architecture.family.className))
        }
    }
}

public enum PipelineError: Error, Equatable, Sendable {
    case taskNotSupported(task: String, architecture: String, supportedBy: [String])
    /// An input the task cannot use, e.g. a fill-mask text without the mask token; `index` is 0-based.
    case badInput(index: Int, problem: String)
}

extension PipelineError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .taskNotSupported(task, arch, heads):
            "the model is \(arch), which cannot do \(task); \(task) needs \(heads.joined(separator: " or "))"
        case let .badInput(i, problem):
            "input \(i + 1): \(problem)"
        }
    }
}
