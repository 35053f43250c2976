import ArgumentParser
import ChurnCore

/// A command-line duration: `-d 30s`, `--warmup 500ms`, `2m`; a plain number is seconds
/// (the options' historical unit). Parsing lives in `DurationText`.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    /// The duration in seconds.
    let seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        guard let parsed = DurationText.seconds(argument) else { return nil }
        seconds = parsed
    }

    var description: String { DurationText.format(seconds) }
}
