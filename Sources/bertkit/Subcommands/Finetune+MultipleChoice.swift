import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `finetune --task multiple-choice`: SWAG-layout CSV or JSONL (formats/multiple-choice.md), rows
/// built as run_swag.py builds them.
extension Finetune {
    func runMultipleChoice(_ source: Checkpoint) throws {
        let (checkpoint, created) = try source.forHead(.multipleChoice, labels: [], resetHead: resetHead, seed: seed)
        let data = try choices(train)
        let heldOut = try eval.map(choices)
        try train(Plan(checkpoint: checkpoint, created: created, problem: nil,
                       source: { m in MultipleChoiceBatchSource(try choiceRows(data, m, file: train), config: m.config) },
                       evaluate: heldOut.map { h in { m, step in
                           let r = try MultipleChoiceEvaluation.run(model: m, data: choiceRows(h, m, file: eval!))
                           return EvalPoint(step: step, name: "accuracy", value: r.accuracy,
                                            summary: "accuracy = \(String(format: "%.4f", r.accuracy)), loss = \(String(format: "%.4f", r.loss)) on \(r.examples) examples of \(eval!)")
                       } }))
    }

    func choices(_ path: String) throws -> MultipleChoiceDataset {
        let d = try MultipleChoiceDataset(contentsOf: path, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(path) \(s)") }
        return d
    }

    func choiceRows(_ d: MultipleChoiceDataset, _ m: BertModel, file: String) throws -> MultipleChoiceRows {
        let rows = try MultipleChoiceRows(d, model: m, maxLength: maxLength)
        if rows.truncated > 0 { Console.log("\(file): \(rows.truncated) choice rows cut to \(rows.limit) tokens (--max-length)") }
        return rows
    }
}
