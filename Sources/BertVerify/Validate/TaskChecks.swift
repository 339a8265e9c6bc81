import BertFormats
import BertModel
import BertTokenizer
import Foundation

/// Behaviour: the model's own task (PipelineTask for its head) run once on a probe, through the same
/// pipeline `bertkit run` uses: it must answer, with finite scores that are probabilities.
enum TaskChecks {
    static func run(_ model: BertModel) throws -> ValidationCheck? {
        let task = PipelineTask.default(for: model.head)
        let name = "\(task.rawValue) runs"
        func probabilities(_ p: [Double], sumsToOne: Bool) -> String? {
            if p.isEmpty { return "no scores" }
            if let bad = p.first(where: { !$0.isFinite || $0 < 0 || $0 > 1 + 1e-6 }) { return "score \(bad) is not a probability" }
            // Float32 softmax: each term rounds at ~1e-7, so a sum of a few is within 1e-5 of 1.
            if sumsToOne, abs(p.reduce(0, +) - 1) > 1e-5 { return "scores sum to \(p.reduce(0, +)), not 1" }
            return nil
        }
        let problem: String?, summary: String
        switch task {
        case .textClassification, .featureExtraction:
            return nil  // covered by "outputs finite on probe inputs"
        case .fillMask:
            let mask = (model.tokenizerSettings ?? TokenizerSettings()).maskToken
            let out = try FillMask(model: model)([TextInput("The capital of France is \(mask).")], topK: 5)
            let candidates = out.predictions.first?.masks.first ?? []
            problem = probabilities(candidates.map(\.score), sumsToOne: false)
            summary = "top candidate \"\(candidates.first?.tokenStr ?? "")\" (\(String(format: "%.3f", candidates.first?.score ?? 0)))"
        case .nextSentence:
            let s = try NextSentence(model: model)([TextInput("The man went to the store.", pair: "He bought a gallon of milk.")]).scores
            problem = probabilities(s.flatMap { [$0.isNext, $0.notNext] }, sumsToOne: true)
            summary = "P(is next) \(String(format: "%.3f", s.first?.isNext ?? 0))"
        case .multipleChoice:
            let s = try MultipleChoice(model: model)(contexts: ["The chef tasted the soup."],
                                                     choices: ["It needed more salt.", "It flew out of the window."]).scores
            problem = probabilities(s.first?.map(\.score) ?? [], sumsToOne: true)
            summary = "2 choices scored"
        case .tokenClassification:
            let (entities, _) = try TokenClassifier(model: model, ignoreLabels: [])(["Angela Merkel visited Paris in May."])
            problem = probabilities(entities.first?.map { Double($0.score) } ?? [], sumsToOne: false)
            summary = "\(entities.first?.count ?? 0) tokens labelled"
        case .replacedTokenDetection:
            let t = try ReplacedTokenDetector(model: model)(["The chef ate the meal."]).tokens.first ?? []
            problem = probabilities(t.map { Double($0.score) }, sumsToOne: false)
            summary = "\(t.filter(\.replaced).count) of \(t.count) tokens replaced"
        case .questionAnswering:
            let r = try QuestionAnswering(model: model).answer([QuestionContext(question: "Where does she live?",
                                                                                context: "Ada lives in London and works in Cambridge.")])
            let a = r.first?.answers ?? []
            problem = probabilities(a.map(\.score), sumsToOne: false)
            summary = "answer \"\(a.first?.answer ?? "")\" (\(String(format: "%.3f", a.first?.score ?? 0)))"
        }
        return .passIf(problem == nil, "Behaviour", name, pass: "\(model.architecture.className) on a probe: \(summary)",
                       fail: "\(model.architecture.className) on a probe: \(problem ?? "")")
    }
}
