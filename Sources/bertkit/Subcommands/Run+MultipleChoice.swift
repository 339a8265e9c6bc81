import ArgumentParser
import BertModel
import Foundation

/// run --task multiple-choice's options.
struct MultipleChoiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("multiple-choice: one choice (repeatable, in order); every TEXT is scored against all of them.",
                               valueName: "text"))
    var choice: [String] = []

    func validate() throws {
        if let i = choice.firstIndex(where: { $0.isEmpty }) { throw ValidationError("--choice \(i + 1) is empty") }
    }

    func check(_ task: PipelineTask) throws {
        if task == .multipleChoice, choice.isEmpty { throw ValidationError("--task multiple-choice needs --choice, once per choice") }
        if task != .multipleChoice, !choice.isEmpty { throw ValidationError("--choice is for --task multiple-choice, not \(task.rawValue)") }
    }
}

extension Run {
    /// multiple-choice: each TEXT is a context; its --pair, when given, starts every choice.
    func multipleChoice(_ model: BertModel) throws {
        let contexts = inputs.textInputs
        let choices = choiceOptions.choice
        let out = try MultipleChoice(model: model)(contexts: contexts.map(\.text), stems: contexts.map(\.pair),
                                                   choices: choices, truncate: !inputs.noTruncate)
        for t in out.truncated {
            Console.log("warning: text \(t.context + 1) with choice \(t.choice + 1) has \(t.tokens) tokens; truncated to \(out.limit) (--no-truncate refuses it)")
        }
        if json { return try Console.outJSON(out.scores) }
        var lines: [String] = []
        for (b, scores) in out.scores.enumerated() {
            lines.append("text \(b + 1): \(quoted([contexts[b].text]))" + (contexts[b].pair.map { " (stem \(quoted([$0])))" } ?? ""))
            let best = scores.indices.max { scores[$0].score < scores[$1].score }
            for (c, s) in scores.enumerated() {
                lines.append("  \(c == best ? "→" : " ") \(probability(s.score))  \(c + 1). \(s.choice)")
            }
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
