import ArgumentParser
import BertFormats
import BertModel
import Foundation

extension Run {
    /// --file/--jsonl/--csv: text-classification and feature-extraction streamed, length-bucketed,
    /// one JSON line per text in input order: {"line": N, ...the keys of --json's element but "text"}.
    func runCorpus(_ model: BertModel, task: PipelineTask) throws {
        guard task == .textClassification || task == .featureExtraction else {
            throw ValidationError("--file, --jsonl and --csv are for --task text-classification and feature-extraction "
                                  + "(and --jsonl of questions for question-answering), not \(task.rawValue); give the texts as TEXT")
        }
        let encoder = try model.textEncoder(truncate: !inputs.noTruncate, rule: inputs.truncationRule)
        let forward = { (input: BertInput) throws -> [JSONObject] in
            let out = try model.run(input)
            return (0..<out.batch).map { rowResult(model, out, row: $0).0 }
        }
        var result: CorpusOutput = .stdout
        var file: LinesFileWriter?
        if let o = output {
            file = try LinesFileWriter(destination: o)
            result = .file(file!)
        }
        try CorpusJob(verb: "ran \(task.rawValue) on", source: inputs.source, options: corpus, model: model, encoder: encoder,
                      output: result, json: json, forward: forward,
                      write: { row, r in
                          var o = JSONObject([("line", .int(row.line))])
                          for (k, v) in r { o[k] = v }
                          let line = JSONValue.object(o).serialized(indent: 0)
                          if let file { try file.append(line); return nil }
                          return line
                      }).run()
    }
}
