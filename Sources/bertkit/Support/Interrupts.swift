import BertTensors
import Dispatch
import Foundation

/// Ctrl-C and SIGTERM remove every temporary output file, then exit 130. Commands that want to do
/// more (fine-tuning saves a checkpoint) register a handler first, and end with `_exit(130)`.
enum Interrupts {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var handler: (() -> Void)?
    private static let once: Void = {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                if let h = handler { h(); return }
                PendingWrites.shared.removeAll()
                FileHandle.standardError.write(Data("\ninterrupted; partial outputs removed\n".utf8))
                // _exit: exit's atexit handlers (OpenBLAS's thread shutdown) can deadlock with a main
                // thread still inside a GEMM.
                fflush(nil)
                _exit(130)
            }
            s.resume()
            sources.append(s)
        }
    }()

    static func install() { _ = once }

    /// Replaces the default action; the handler must end the process itself.
    static func onInterrupt(_ h: @escaping () -> Void) {
        install()
        handler = h
    }
}
