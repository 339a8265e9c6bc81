import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertTokenizer
import Foundation

extension Run {
    /// --file/--jsonl/--csv: text-classification and feature-extraction streamed, length-bucketed,
    /// one JSON line per text in input order: {"line": N, ...the keys of --json's element but "text"}.
    func runCorpus(_ model: BertModel, task: PipelineTask) throws {
        guard task == .textClassification || task == .featureExtraction else { return try runChunked(model, task: task) }
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

/// `value` as compact JSON on one line.
func oneLine<T: Encodable>(_ value: T) throws -> String { String(decoding: try Console.jsonData(value, pretty: false), as: UTF8.self) }

/// One chunk's JSON lines and the rows cut to the limit (chunk row, tokens).
typealias ChunkResult = (lines: [String], truncated: [(row: Int, tokens: Int)], limit: Int)

extension Run {
    /// The other tasks over a file: chunks of --batch-size rows in input order through the task's
    /// pipeline (which pads each chunk to its longest text), one JSON line per row: {"line": N,
    /// "result": the --json element of that text}.
    func runChunked(_ model: BertModel, task: PipelineTask) throws {
        let pipeline = try chunkPipeline(model, task: task)
        let source = inputs.source
        let total = try source.precheck(skipBadRows: corpus.skipBadRows)
        let reader = try source.reader()
        let file = try output.map { try LinesFileWriter(destination: $0) }
        let stop = StopRequest()
        if corpus.keepPartial, file != nil {
            Interrupts.onInterrupt {
                if stop.request() { return }
                PendingWrites.shared.removeAll()
                fflush(nil)
                _exit(130)
            }
        }
        var stats = CorpusStats()
        var stdout = BufferedStdout()
        var bar = CorpusProgress(total: total)
        let started = Date()
        var ended = false
        while !ended, !stop.requested {
            var rows: [CorpusRow] = []
            while rows.count < corpus.batchSize {
                do {
                    guard let r = try reader.next() else { ended = true; break }
                    rows.append(r)
                } catch let e as InputFileError where corpus.skipBadRows {
                    stats.skipped += 1
                    bar.clear()
                    Console.log("skipped \(e.localizedDescription)")
                }
            }
            guard !rows.isEmpty else { break }
            let (lines, truncated, limit) = try runChunk(rows, pipeline, skipped: &stats.skipped)
            for t in truncated {
                bar.clear()
                Console.log("warning: \(source.path!):\(t.row) has \(t.tokens) tokens; truncated to \(limit) (--no-truncate refuses it)")
            }
            stats.truncated += truncated.count
            for l in lines {
                if let file { try file.append(l) } else { stdout.append(l) }
            }
            stats.texts += lines.count
            stats.batches += 1
            bar.show(stats)
        }
        stdout.flush()
        bar.clear()
        var kept: String?
        if let file { if stop.requested { kept = try file.commitPartial() } else { try file.commit() } }
        let summary = CorpusSummary(stats: stats, seconds: Date().timeIntervalSince(started), output: kept ?? output, complete: kept == nil)
        if json {
            let text = String(decoding: try Console.jsonData(summary, pretty: false), as: UTF8.self)
            if file != nil { Console.out(text) } else { Console.log(text) }
        } else {
            Console.log(summary.line(verb: "ran \(task.rawValue) on"))
        }
        if let kept {
            Console.log("interrupted: kept the first \(stats.texts) rows in \(kept)")
            throw Exit.interrupted
        }
    }

    /// Runs `rows` together; when the pipeline refuses the chunk, runs them one by one to name the
    /// row's file:line (a bad row, skipped with --skip-bad-rows). Truncated rows come back as lines.
    private func runChunk(_ rows: [CorpusRow], _ pipeline: ([TextInput]) throws -> ChunkResult,
                          skipped: inout Int) throws -> ChunkResult {
        func lines(_ rows: [CorpusRow], _ r: ChunkResult) -> ChunkResult {
            (zip(rows, r.lines).map { "{\"line\":\($0.line),\"result\":\($1)}" }, r.truncated.map { (rows[$0.row].line, $0.tokens) }, r.limit)
        }
        if let r = try? pipeline(rows.map(\.input)) { return lines(rows, r) }
        var out: ChunkResult = ([], [], 0)
        for row in rows {
            do {
                let r = lines([row], try pipeline([row.input]))
                out.lines += r.lines
                out.truncated += r.truncated
                out.limit = r.limit
            } catch {
                let e = InputFileError(file: inputs.source.path!, line: row.line,
                                       problem: (error as? LocalizedError)?.errorDescription ?? "\(error)")
                guard corpus.skipBadRows else { throw e }
                skipped += 1
                Console.log("skipped \(e.localizedDescription)")
            }
        }
        return out
    }

    /// The task's pipeline on a chunk: each row's --json element, serialized on one line.
    private func chunkPipeline(_ model: BertModel, task: PipelineTask) throws -> ([TextInput]) throws -> ChunkResult {
        let truncate = !inputs.noTruncate
        switch task {
        case .fillMask:
            let p = try FillMask(model: model)
            let targets = try resolveTargets(p)
            let k = topK ?? 5
            return { texts in
                let out = try p(texts, topK: k, targets: targets, truncate: truncate)
                return (try out.predictions.map { try oneLine($0) }, out.truncated, out.limit)
            }
        case .nextSentence:
            let p = try NextSentence(model: model)
            return { texts in
                let out = try p(texts, truncate: truncate)
                return (try out.scores.map { try oneLine($0) }, out.truncated, out.limit)
            }
        case .multipleChoice:
            let p = try MultipleChoice(model: model)
            let choices = choiceOptions.choice
            return { texts in
                let out = try p(contexts: texts.map(\.text), stems: texts.map(\.pair), choices: choices, truncate: truncate)
                return (try out.scores.map { try oneLine($0) }, out.truncated.map { (row: $0.context, tokens: $0.tokens) }, out.limit)
            }
        case .tokenClassification:
            let options = tokenClassification
            let p = try TokenClassifier(model: model, aggregation: options.aggregation ?? .none,
                                        ignoreLabels: try options.labelsToIgnore(model.config.id2label))
            let limit = model.config.maxSequenceLength
            return { texts in
                if let i = texts.firstIndex(where: { $0.pair != nil }) {
                    throw ValidationError("row \(i + 1) has a pair: token-classification takes one text per input")
                }
                let (entities, truncated) = try p(texts.map(\.text), limit: limit, truncate: truncate)
                return (entities.map { JSONValue.array($0.map(\.json)).serialized(indent: 0) }, truncated, limit)
            }
        case .replacedTokenDetection:
            let p = try ReplacedTokenDetector(model: model)
            let limit = model.config.maxSequenceLength
            return { texts in
                if let i = texts.firstIndex(where: { $0.pair != nil }) {
                    throw ValidationError("row \(i + 1) has a pair: replaced-token-detection takes one text per input")
                }
                let (tokens, truncated) = try p(texts.map(\.text), limit: limit, truncate: truncate)
                return (tokens.map { JSONValue.array($0.map(\.json)).serialized(indent: 0) }, truncated, limit)
            }
        case .textClassification, .featureExtraction, .questionAnswering:
            throw ValidationError("--task \(task.rawValue) over a file is streamed by runCorpus")
        }
    }
}
