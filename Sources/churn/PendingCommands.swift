// TEMPORARY scaffolding while the cluster pieces land; replaced command by command.
import ArgumentParser
import ChurnCore
import ChurnEngine
import ChurnIO
struct ClusterCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "cluster") }
struct LoadtestCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "loadtest") }
