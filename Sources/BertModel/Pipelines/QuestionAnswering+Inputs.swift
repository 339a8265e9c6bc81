import BertFormats
import BertTokenizer

extension QuestionContext {
    /// One JSON object `{"question": ..., "context": ...}` per line (other keys are ignored), from a
    /// file or stdin ("-"). Every line is checked before any is returned; errors name the line.
    public static func readJSONL(_ path: String) throws -> [QuestionContext] {
        try TextLines.read(path).enumerated().map { i, line in
            func fail(_ problem: String) -> InputFileError { InputFileError(file: path, line: i + 1, problem: problem) }
            let value: JSONValue
            do {
                value = try JSONParser.parse(Array(line.utf8), file: "\(path):\(i + 1)")
            } catch let e as JSONError {
                throw fail("not JSON: \(e.reason)")
            }
            guard let o = value.objectValue else {
                throw fail("expected an object with strings \"question\" and \"context\", found \(value.kind)")
            }
            func field(_ key: String) throws -> String {
                guard let v = o[key] else { throw fail("no \"\(key)\"") }
                guard let s = v.stringValue else { throw fail("\"\(key)\" must be a string, found \(v.kind)") }
                guard !s.isEmpty else { throw fail("\"\(key)\" is empty") }
                return s
            }
            return QuestionContext(question: try field("question"), context: try field("context"))
        }
    }
}
