import ArgumentParser
import BertFormats
import BertTensors
import Foundation

/// bertkit's documented exit codes (see `bertkit --help`).
enum Exit {
    static let checkFailed = ExitCode(1)
    static let badInput = ExitCode(2)
    static let cannotWrite = ExitCode(3)
    static let interrupted = ExitCode(130)
}

/// Runs a subcommand body: library errors become one clear line on stderr and a documented exit code.
func runReportingErrors(_ body: () throws -> Void) throws {
    Interrupts.install()
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch let e as IOError {
        Console.error(e.localizedDescription)
        throw Exit.cannotWrite
    } catch {
        Console.error(((error as? LocalizedError)?.errorDescription ?? "\(error)") + (Hints.hint(for: error).map { "\n---> HINT: " + $0 } ?? ""))
        throw Exit.badInput
    }
}
