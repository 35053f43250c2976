// TEMPORARY scaffolding while the cluster pieces land; replaced command by command.
import ArgumentParser
import ChurnCore
import ChurnEngine
import ChurnIO
struct LoadtestCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "loadtest") }
