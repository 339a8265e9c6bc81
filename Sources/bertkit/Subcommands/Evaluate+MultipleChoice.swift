import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `evaluate --task multiple-choice`: accuracy (argmax over each example's choices) and the loss.
extension Evaluate {
    func multipleChoice(_ m: BertModel) throws {
        let d = try MultipleChoiceDataset(contentsOf: data, skipBadRows: skipBadRows)
        for s in d.skipped { Console.log("skipped \(data) \(s)") }
        let rows = try MultipleChoiceRows(d, model: m, maxLength: maxLength)
        if rows.truncated > 0 { Console.log("\(data): \(rows.truncated) choice rows cut to \(rows.limit) tokens (--max-length)") }
        let r = try MultipleChoiceEvaluation.run(model: m, data: rows, batchSize: max(1, batchSize / d.choices))
        if json { return try Console.outJSON(r) }
        Console.out("accuracy \(String(format: "%.4f", r.accuracy)) (\(r.examples) examples, \(r.choices) choices each), loss \(String(format: "%.4f", r.loss))")
    }
}
