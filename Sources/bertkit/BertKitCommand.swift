import ArgumentParser
import BertTensors

@main
struct BertKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertkit",
        abstract: "Convert, inspect, run, verify, diff, validate and fine-tune BERT-family checkpoints (BERT, RoBERTa, XLM-RoBERTa, ELECTRA, DistilBERT, MPNet, ALBERT).",
        discussion: """
            MODEL arguments accept a HuggingFace model folder (config.json + vocab.txt or tokenizer.json + \
            weights), a weights file (.safetensors, .h5, .bin) or a bertkit .bkm file.

            Results go to stdout, logs and progress to stderr. --json gives machine-readable output.

            EXIT CODES
              0    success; every check passed
              1    a check failed (verify, diff, validate found values beyond tolerance)
              2    bad input: a file is missing, malformed or inconsistent (the message names it)
              3    an output could not be written (nothing partial is left behind), or --force
                   would delete files bertkit did not write
              64   wrong command-line usage
              130  interrupted (Ctrl-C); temporary files are removed
            """,
        version: BertKitVersion.string,
        subcommands: [Inspect.self, Convert.self, Tokenize.self, Run.self, Embed.self, Dump.self, Verify.self, Diff.self,
                      Validate.self, Attention.self, Bench.self, Finetune.self, Evaluate.self])
}
